"""Error pages: HTML for people, JSON under /api/. Never a stack trace."""

from __future__ import annotations

from django.shortcuts import render

from him.api.errors import json_error


def _respond(request, status: int, title: str, message: str):
    if request.path.startswith("/api/"):
        return json_error(request, status, message)
    return render(request, "him/error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    text = str(exception) if exception and str(exception) else "Your role does not allow this."
    return _respond(request, 403, "Not allowed", text)


def not_found(request, exception=None):
    return _respond(
        request, 404, "Not found", "No such page or record, or it is outside your access."
    )


def server_error(request):
    return _respond(
        request,
        500,
        "Something went wrong",
        "The error was logged. Nothing you saved before this was lost; please try again.",
    )
