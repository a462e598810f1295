from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from him import context

_HEADER_REQUEST_ID = "X-Request-ID"


def client_ip(request: HttpRequest) -> str:
    # Behind the production proxy REMOTE_ADDR is the proxy; gunicorn is configured
    # with the proxy's forwarded-allow-ips, so REMOTE_ADDR is what we trust here.
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Give each request an id and start its context (user filled in later)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.new_request_id()
        request.request_id = request_id
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.set_current(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
                channel=channel,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response[_HEADER_REQUEST_ID] = request_id
        return response


class RequestUserContextMiddleware:
    """After authentication and OTP: name the user in the request context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context.bind_user(request.user)
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Sign the user out after idle time or absolute session age.

    Timestamps live in the session; ``last seen`` is rewritten at most once a
    minute so a busy user does not cost a session write on every request.
    """

    AUTH_AT = "_him_auth_at"
    SEEN_AT = "_him_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            auth_at = session.get(self.AUTH_AT)
            seen_at = session.get(self.SEEN_AT)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_AGE.total_seconds()
            if auth_at is None:
                session[self.AUTH_AT] = now
                session[self.SEEN_AT] = now
            elif (seen_at is not None and now - seen_at > idle) or now - auth_at > absolute:
                request._him_logout_reason = (
                    "idle timeout" if now - auth_at <= absolute else "session age limit"
                )
                logout(request)
            elif now - (seen_at or 0) > 60:
                session[self.SEEN_AT] = now
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """CSP for every page; no-store for everything but static files.

    Any page may show PHI (even an error page names a record), so only static
    assets are cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        if request.path.startswith("/api/docs/"):
            # Swagger UI's bundle needs inline styles; scripts stay 'self' only.
            response.setdefault(
                "Content-Security-Policy",
                settings.CONTENT_SECURITY_POLICY + "; style-src 'self' 'unsafe-inline'",
            )
        else:
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


NUL_MESSAGE = (
    "The request holds a NUL character (\\0), which no field accepts: remove it and send it again."
)


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _fields_hold_nul(fields) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in fields.lists())


def _holds_nul(request: HttpRequest) -> bool:
    # The path is left to the views: an id holding NUL matches nothing (404).
    if _fields_hold_nul(request.GET):
        return True
    return (
        request.method == "POST"
        and request.content_type in _FORMS
        and _fields_hold_nul(request.POST)
    )


class NulCharacterMiddleware:
    """Refuse, with a 400 saying why, a request whose query or form fields hold a NUL
    character.

    No field of ours accepts one (Django's and DRF's text fields refuse it), but a
    value that goes straight into a lookup (a patient's enterprise id in a query
    string...) reaches the database, and PostgreSQL cannot take a string holding
    one: psycopg raises before sending the query, a 500. JSON bodies are checked by
    the API's JSON parser (``him.api.parsers``). After authentication, so the page
    is drawn in the site's frame."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            if request.path.startswith("/api/"):
                from him.api.errors import json_error

                return json_error(request, 400, NUL_MESSAGE)
            from django.shortcuts import render

            return render(
                request,
                "bad_request.html",
                {"message": NUL_MESSAGE, "path": request.path.replace("\x00", "")},
                status=400,
            )
        return self.get_response(request)
