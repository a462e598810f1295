"""Celery entry points of the records app. Thin: they call services.

Both are safe to run twice: evaluation never duplicates a deficiency, and a
letter is made once per provider, kind and day.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from him.celery import app

_COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 3,
    "ignore_result": True,
}


@app.task(name="records.tasks.sweep_deficiencies", soft_time_limit=1500, time_limit=1600, **_COMMON)
def sweep_deficiencies() -> dict:
    """Hourly (beat): deficiencies whose rules come due without any event."""
    from records.services.deficiencies import deficiencies_sweep

    result = deficiencies_sweep()
    return {"created": len(result.created), "completed": len(result.completed)}


@app.task(
    name="records.tasks.send_deficiency_letters", soft_time_limit=1500, time_limit=1600, **_COMMON
)
def send_deficiency_letters() -> int:
    """Daily (beat): reminder and escalation letters to providers."""
    from records.services.deficiency_letters import deficiency_letters_generate

    return len(deficiency_letters_generate())
