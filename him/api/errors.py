"""API errors as JSON a person can act on.

Shape: {"error": {"status": 400, "code": "invalid", "message": "...",
"fields": {"birth_date": ["..."]}}}.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _string_keys(data):
    """DRF keys a list item's errors by its index (an int): JSON renderers that
    insist on string keys (orjson) would fail on them, turning a 400 into a 500."""
    if isinstance(data, dict):
        return {str(key): _string_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_string_keys(value) for value in data]
    return data


def _first_message(data) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            text = _first_message(value)
            if text:
                return text if key in ("detail", "non_field_errors") else f"{key}: {text}"
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data) if data else ""


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, IntegrityError):
        logger.info("integrity error turned into 409: %s", exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": ["This conflicts with an existing record (a duplicate?)."]}
        )
        exc.status_code = status.HTTP_409_CONFLICT
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("No such record, or it is outside your access.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = _string_keys(response.data)
    fields = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(data, dict):
        fields = {k: v for k, v in data.items() if k != "non_field_errors"}
    message = _first_message(data) or "The request could not be completed."
    if fields and not message.startswith("non_field"):
        message = "Please correct the fields listed: " + message
    code = getattr(exc, "default_code", "error")
    body = {"error": {"status": response.status_code, "code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return Response(body, status=response.status_code, headers=dict(response.items()))


def json_error(request, status_code: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"status": status_code, "code": "error", "message": message}}, status=status_code
    )
