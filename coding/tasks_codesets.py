"""Celery entry points of the codesets part. Thin: load by id, call the service.

Acknowledged late and rejected when its worker is lost, so a killed worker's
message is delivered again; the service's conditional claim makes a second
delivery harmless (the CodeSetImport row is the key).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from coding.services import codeset_imports as services
from him.celery import app


@app.task(
    name="coding.tasks_codesets.run_codeset_import",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=services.MAX_ATTEMPTS,
    soft_time_limit=3000,
    time_limit=3300,
    ignore_result=True,
)
def run_codeset_import(import_id: int) -> str:
    return services.import_run(import_id=import_id)


@app.task(name="coding.tasks_codesets.requeue_stale_imports", ignore_result=True)
def requeue_stale_imports() -> int:
    """Beat, every minute: imports whose load was lost are enqueued again."""
    return len(services.imports_requeue_stale())
