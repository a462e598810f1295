"""Seams between the parts of the records app.

A service that finishes something others care about calls the matching
function here; the parts that care register a handler from
``RecordsConfig.ready()``. Explicit calls both ways, so a reader can follow an
action from the service that starts it (no model signals).
"""

from __future__ import annotations

from collections.abc import Callable

_handlers: dict[str, list[Callable]] = {}

DOCUMENT_FILED = "document_filed"  # a document was created or attached to an encounter
DOCUMENT_SIGNED = "document_signed"  # a version was signed
DOCUMENT_STATUS_CHANGED = "document_status_changed"  # e.g. entered in error
ENCOUNTER_DISCHARGED = "encounter_discharged"
ENCOUNTER_CHANGED = "encounter_changed"


def register(event: str, handler: Callable) -> None:
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def fire(event: str, **kwargs) -> None:
    """Call every handler of ``event`` in order, inside the caller's transaction."""
    for handler in _handlers.get(event, ()):
        handler(**kwargs)


# Bulk seeding finished (records.synthetic.seed): kwargs facility_ids, since (the
# created_at of every seeded row), patient_ids / encounter_ids / document_ids
# (first, last) id ranges. For bulk evaluators (e.g. deficiencies); no per-row events.
SYNTHETIC_SEEDED = "synthetic_seeded"
