"""Celery entry points of the platform. Thin: load by id, call a service.

Every task here is acknowledged late and rejected when its worker is lost, so a
killed worker's message is delivered again; the services make a second delivery
harmless (the ReportRun row is the key). The request context of whoever asked
travels with the message (``him.celery.ContextTask``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError

from him import report_services
from him.celery import app


@app.task(
    name="him.tasks.execute_report_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=report_services.MAX_ATTEMPTS,
    soft_time_limit=settings.REPORT_TIME_LIMIT_SECONDS,
    time_limit=settings.REPORT_TIME_LIMIT_SECONDS + report_services.HARD_LIMIT_EXTRA_SECONDS,
    ignore_result=True,
)
def execute_report_run(run_id: int) -> str:
    """Produce one ReportRun's output; a no-op when another delivery has it or it is over."""
    return report_services.report_run_execute(run_id=run_id)


@app.task(
    name="him.tasks.requeue_stale_report_runs",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=55,
    # Beat sends one every minute: a backlog of them is worth nothing.
    expires=55,
    ignore_result=True,
)
def requeue_stale_report_runs() -> int:
    """Every minute (beat): re-enqueue lost report runs, fail those out of attempts."""
    return len(report_services.report_runs_requeue_stale())
