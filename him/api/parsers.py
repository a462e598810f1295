"""The API's JSON parser: orjson, refusing a NUL character anywhere in the body."""

from __future__ import annotations

import orjson
from django.conf import settings
from drf_orjson_renderer.parsers import ORJSONParser
from rest_framework.exceptions import ParseError

from him.middleware import NUL_MESSAGE


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class JSONParser(ORJSONParser):
    """orjson's parser that refuses (400) a body holding a NUL character, as
    ``him.middleware.NulCharacterMiddleware`` does for query strings and forms.

    Text fields refuse one already, but a value used as a lookup (a patient's
    enterprise id, a request's public id) reaches the database, and PostgreSQL cannot
    take a string holding NUL: a 500. JSON can carry one only escaped, so a body
    without the escape is not walked."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            data = orjson.loads(raw.decode(encoding))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if b"\\u0000" in raw and _holds_nul(data):
            raise ParseError(NUL_MESSAGE)
        return data
