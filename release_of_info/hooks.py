"""Seams between the parts of the release-of-information app.

The packet and release services ask the registered checks before they act, and
tell the registered handlers when records left the building. Handlers are
registered from ``ReleaseOfInfoConfig.ready()``; calls are explicit both ways so
a reader can follow a release from the service that starts it.

- ``RELEASE_CHECKS``: ``fn(request) -> list[str]``, each string a problem that
  forbids building or releasing (an invalid authorization, ...).
- ``DOCUMENT_COVERAGE``: ``fn(request, documents) -> list[str | None]``, for each
  document (a Document or a chosen RequestDocument) a reason to leave it out of the
  packet (not covered by the authorization...) or None; asked once for all the
  documents of a packet (``coverage``), so a handler reads the request once.
- ``INVOICE``: ``fn(request, pages) -> dict | None``, the fee lines for the
  invoice page: ``{"lines": [(label, Decimal)], "total": Decimal, "status": str}``.
- ``RELEASED``: ``fn(request, packet, delivery)``, after a release (the
  accounting of disclosures writes its entry).
- ``RELEASE_BASIS``: ``fn(request) -> str | None``: "authorization" when a valid
  authorization covers the request (the release is then exempt from the
  accounting of disclosures, 164.528(a)(1)(iv)), else None.
"""

from __future__ import annotations

from collections.abc import Callable

RELEASE_CHECKS = "release_checks"
DOCUMENT_COVERAGE = "document_coverage"
INVOICE = "invoice"
RELEASED = "released"
RELEASE_BASIS = "release_basis"

_handlers: dict[str, list[Callable]] = {}


def register(event: str, handler: Callable) -> None:
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def fire(event: str, **kwargs) -> None:
    for handler in _handlers.get(event, ()):
        handler(**kwargs)


def coverage(request, documents: list) -> list:
    """For each document, the first reason a DOCUMENT_COVERAGE handler gives to leave it
    out of ``request``'s packet, or None."""
    found: list = [None] * len(documents)
    for handler in _handlers.get(DOCUMENT_COVERAGE, ()):
        for i, reason in enumerate(handler(request=request, documents=documents)):
            if reason and found[i] is None:
                found[i] = reason
    return found


def collect(event: str, **kwargs) -> list:
    """Every handler's answer, ``None`` answers left out; lists are flattened."""
    out: list = []
    for handler in _handlers.get(event, ()):
        answer = handler(**kwargs)
        if answer is None:
            continue
        if isinstance(answer, list):
            out.extend(answer)
        else:
            out.append(answer)
    return out
