"""Seams between the parts of the coding app.

- ``FINALIZE_CHECKS``: ``fn(coding) -> list[str]``: problems that forbid
  finalizing (a physician query still outstanding, ...), asked by the
  workspace's finalize service.
- ``FINALIZED``: ``fn(coding, user)`` after codes are finalized (query metrics
  record the DRG after the answer, productivity...).
- ``REOPENED``: ``fn(coding, user, reason)``.
- ``CODES_CHANGED``: ``fn(coding, user)`` after a draft was saved.
- ``CODESET_LOADED``: ``fn(code_set)`` after a code set version was (re)loaded
  (the search index is rebuilt from there).

Handlers are registered from ``CodingConfig.ready()``; calls are explicit both
ways so a reader can follow an action from the service that starts it.
"""

from __future__ import annotations

from collections.abc import Callable

FINALIZE_CHECKS = "finalize_checks"
FINALIZED = "finalized"
REOPENED = "reopened"
CODES_CHANGED = "codes_changed"
CODESET_LOADED = "codeset_loaded"

_handlers: dict[str, list[Callable]] = {}


def register(event: str, handler: Callable) -> None:
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def fire(event: str, **kwargs) -> None:
    for handler in _handlers.get(event, ()):
        handler(**kwargs)


def collect(event: str, **kwargs) -> list:
    """Every handler's answer, flattened; ``None`` answers left out."""
    out: list = []
    for handler in _handlers.get(event, ()):
        answer = handler(**kwargs)
        if answer is None:
            continue
        out.extend(answer if isinstance(answer, list) else [answer])
    return out
