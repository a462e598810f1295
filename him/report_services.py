"""Report runs: request, claim, execute, fail, requeue. The rules live here.

The life of a run, all keyed by the ReportRun row:

- ``report_run_request`` validates, creates the row (queued, with the request
  context of the person asking) and enqueues the task once the transaction
  commits;
- ``report_run_execute`` (from the task) claims the row with one conditional
  UPDATE (queued, or running with an expired lease -> running, a new lease,
  attempts + 1), so two deliveries of the same message cannot both run it;
  then generates the table under the requester's identity, writes the output
  under a name fixed by the run (a retry overwrites, never adds), and marks it
  done only if it still holds the claim;
- ``report_runs_requeue_stale`` (from beat) re-enqueues runs nobody claimed in
  time and runs whose worker died (lease passed), and gives up after
  ``MAX_ATTEMPTS`` with an error a person can act on.

Only the state changes run in transactions: the generation itself does not, so
progress updates are visible to the page polling them.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from him import context, reports, trail
from him.models import ReportRun

logger = logging.getLogger(__name__)

Status = ReportRun.Status

MAX_ATTEMPTS = 3
# A queued run not claimed within this long is enqueued again (lost message).
QUEUED_GRACE = timedelta(minutes=2)
# Hard time limit beyond the soft one, and the lease beyond the hard limit.
HARD_LIMIT_EXTRA_SECONDS = 30
LEASE_MARGIN_SECONDS = 60
# Progress is written at most this often (or on a jump of PROGRESS_STEP points).
PROGRESS_INTERVAL_SECONDS = 1.0
PROGRESS_STEP = 5

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def soft_time_limit() -> int:
    return settings.REPORT_TIME_LIMIT_SECONDS


def hard_time_limit() -> int:
    return settings.REPORT_TIME_LIMIT_SECONDS + HARD_LIMIT_EXTRA_SECONDS


def lease_length() -> timedelta:
    return timedelta(seconds=hard_time_limit() + LEASE_MARGIN_SECONDS)


def output_name(run: ReportRun) -> str:
    """Where a run's output lives: fixed by the run, so a retry overwrites it."""
    return f"reports/{run.public_id}.{run.output_format}"


def download_filename(run: ReportRun) -> str:
    stamp = timezone.localtime(run.created_at).strftime("%Y%m%d-%H%M")
    return f"{run.report_key}-{stamp}.{run.output_format}"


class RunFailed(Exception):
    """Stop this run as failed with ``message`` (already readable)."""


# Requesting -------------------------------------------------------------------------


def report_run_request(
    *,
    user,
    report_key: str,
    parameters: Mapping[str, Any],
    output_format: str,
) -> ReportRun:
    """Create a queued run for ``user`` and enqueue it when the transaction commits.

    Raises ValidationError (field -> messages) for bad parameters or format, and
    ReportError when the report is unknown or not available to ``user``.
    """
    report = reports.get(report_key)
    if not report.available_to(user):
        raise reports.ReportError("You are not allowed to run this report.")
    cleaned = report.clean_parameters(parameters)
    if output_format not in report.formats:
        offered = ", ".join(label for _, label in report.format_choices())
        raise ValidationError(
            {"output_format": [f"This report can be produced as {offered}; choose one of those."]}
        )
    ctx = context.current()
    if ctx.user_id != user.pk:
        # Called outside the user's own request (a shell, a test): name them.
        ctx = context.RequestContext(
            request_id=ctx.request_id or context.new_request_id(),
            user_id=user.pk,
            username=user.get_username(),
            role=getattr(user, "role_label", ""),
            channel=ctx.channel,
            otp_verified=False,  # only a verified session of this user says otherwise
        )
    now = timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.create(
            report_key=report.key,
            parameters=cleaned,
            output_format=output_format,
            requested_by=user,
            request_context=ctx.as_dict(),
            status=Status.QUEUED,
            # For a queued run, lease_until is when to enqueue it again if no
            # worker has claimed it by then (see report_runs_requeue_stale).
            lease_until=now + QUEUED_GRACE,
        )
        trail.record(
            trail.Action.CREATE,
            object_type="him.reportrun",
            object_id=str(run.public_id),
            detail={"report": report.key, "parameters": cleaned, "format": output_format},
        )
        report_run_enqueue(run=run)
    return run


def report_run_enqueue(*, run: ReportRun) -> None:
    """Send the task after commit, carrying the requester's context (not the caller's:
    beat requeues a run on behalf of whoever asked for it)."""
    from him.celery import CONTEXT_KWARG
    from him.tasks import execute_report_run

    run_id, ctx = run.pk, dict(run.request_context or {})
    transaction.on_commit(
        lambda: execute_report_run.apply_async(args=[run_id], kwargs={CONTEXT_KWARG: ctx})
    )


# Executing ------------------------------------------------------------------------------


def report_run_claim(*, run_id: int, now: datetime | None = None) -> ReportRun | None:
    """Take the run for this worker, or None when someone else has it or it is over.

    One conditional UPDATE decides, so of two deliveries only one wins.
    """
    now = now or timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_until__lt=now)
    with transaction.atomic():
        claimed = (
            ReportRun.objects.filter(pk=run_id, attempts__lt=MAX_ATTEMPTS)
            .filter(claimable)
            .update(
                status=Status.RUNNING,
                lease_until=now + lease_length(),
                attempts=F("attempts") + 1,
                started_at=now,
                finished_at=None,
                progress=0,
                error="",
            )
        )
    if claimed:
        return ReportRun.objects.select_related("requested_by").get(pk=run_id)
    run = ReportRun.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("report run %s: no such row, nothing to do", run_id)
    elif run.status in (Status.QUEUED, Status.RUNNING) and run.attempts >= MAX_ATTEMPTS:
        if run.status == Status.QUEUED or (run.lease_until and run.lease_until < now):
            _give_up(run_id=run_id, expected_status=run.status, now=now)
    else:
        logger.info("report run %s is %s: this delivery does nothing", run_id, run.status)
    return None


class _Progress:
    """Writes progress to the row, throttled, only while this worker holds the claim."""

    def __init__(self, run: ReportRun):
        self.run_id = run.pk
        self.attempt = run.attempts
        self.last_value = 0
        self.last_at = 0.0

    def __call__(self, pct: int) -> None:
        pct = max(0, min(99, int(pct)))
        now = _time.monotonic()
        if pct <= self.last_value:
            return
        if pct - self.last_value < PROGRESS_STEP and now - self.last_at < PROGRESS_INTERVAL_SECONDS:
            return
        ReportRun.objects.filter(
            pk=self.run_id, status=Status.RUNNING, attempts=self.attempt
        ).update(progress=pct)
        self.last_value, self.last_at = pct, now


def report_run_execute(*, run_id: int) -> str:
    """Run a queued run to the end. Safe to call any number of times for one run.

    Returns the status the run was left in by this call ("skipped" when another
    delivery owns it or it was already over). Transient database errors are
    re-raised for the task to retry, after handing the claim back.
    """
    run = report_run_claim(run_id=run_id)
    if run is None:
        return "skipped"
    ctx = context.current()
    if ctx.user_id != run.requested_by_id:
        # Requeued by beat or called from a shell: act as the person who asked.
        ctx = context.RequestContext.from_dict(run.request_context)
    with context.use(replace(ctx, channel="task")):
        try:
            return _generate(run)
        except TRANSIENT_ERRORS:
            logger.warning("report run %s: transient database error; will retry", run_id)
            _release(run)
            raise
        except RunFailed as exc:
            _fail(run, str(exc))
            return Status.FAILED
        except Exception as exc:  # whatever broke, the row must say it readably
            from celery.exceptions import SoftTimeLimitExceeded

            if isinstance(exc, SoftTimeLimitExceeded):
                minutes = max(1, round(soft_time_limit() / 60))
                _fail(
                    run,
                    f"The report took longer than {minutes} minute(s) and was stopped. "
                    "Choose a shorter date range or fewer details and run it again.",
                )
                return Status.FAILED
            logger.exception("report run %s (%s) failed", run.public_id, run.report_key)
            _fail(
                run,
                "The report could not be produced because of an unexpected error. The "
                f"details were logged for the administrators (run {run.public_id}); you can "
                "try again.",
            )
            return Status.FAILED


def _generate(run: ReportRun) -> str:
    try:
        report = reports.get(run.report_key)
    except reports.ReportError:
        raise RunFailed(
            f"The report {run.report_key!r} is no longer installed; ask an administrator."
        ) from None
    user = run.requested_by
    if not user.is_active:
        raise RunFailed("Your account is no longer active, so the report was not run.")
    from him import policy

    if policy.needs_second_factor(user):
        raise RunFailed(
            "Your role needs a verified second factor: sign in with your authenticator code "
            "and request the report again."
        )
    if not report.available_to(user):
        raise RunFailed("Your role no longer allows this report, so it was not run.")
    if run.output_format not in report.formats:
        raise RunFailed(f"This report cannot be produced as {run.get_output_format_display()}.")
    try:
        params = report.parse_parameters(run.parameters)
    except reports.ReportError as exc:
        raise RunFailed(str(exc)) from None

    progress = _Progress(run)
    progress(1)
    try:
        table = report.generate(run=run, user=user, params=params, progress=progress)
    except reports.ReportError as exc:
        raise RunFailed(str(exc)) from None
    progress(90)
    header = reports.OutputHeader(
        parameters=report.describe_parameters(run.parameters),
        generated_at=timezone.now(),
        generated_by=user.get_full_name() or user.get_username(),
    )
    content = reports.render(table, run.output_format, header)
    name = _save_output(run, content)
    return _finish(run, report=report, name=name, rows=len(table.rows))


def _save_output(run: ReportRun, content: bytes) -> str:
    """Write the output under the run's fixed name, replacing any earlier attempt's."""
    name = output_name(run)
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        # Another attempt wrote the same name between our delete and save: never
        # keep two outputs. Theirs stands; the claim check in _finish decides.
        default_storage.delete(saved)
        logger.warning("report run %s: output name collision, kept %s", run.public_id, name)
    return name


def _finish(run: ReportRun, *, report: reports.Report, name: str, rows: int) -> str:
    now = timezone.now()
    with transaction.atomic():
        updated = ReportRun.objects.filter(
            pk=run.pk, status=Status.RUNNING, attempts=run.attempts
        ).update(
            status=Status.DONE,
            progress=100,
            output=name,
            output_name=download_filename(run)[:200],
            row_count=rows,
            error="",
            lease_until=None,
            finished_at=now,
        )
        if not updated:
            # Our lease ran out and another attempt took over: it owns the result.
            logger.warning("report run %s: lost the claim before finishing", run.public_id)
            return "skipped"
        trail.record(
            trail.Action.EXPORT,
            object_type="him.reportrun",
            object_id=str(run.public_id),
            detail={
                "report": report.key,
                "parameters": run.parameters,
                "format": run.output_format,
                "rows": rows,
            },
        )
    return Status.DONE


def _fail(run: ReportRun, message: str) -> None:
    with transaction.atomic():
        ReportRun.objects.filter(pk=run.pk, status=Status.RUNNING, attempts=run.attempts).update(
            status=Status.FAILED, error=message, lease_until=None, finished_at=timezone.now()
        )


def _release(run: ReportRun) -> None:
    """Hand the claim back after a transient error, so the retry can take it."""
    try:
        ReportRun.objects.filter(pk=run.pk, status=Status.RUNNING, attempts=run.attempts).update(
            status=Status.QUEUED, lease_until=timezone.now() + QUEUED_GRACE
        )
    except DatabaseError:
        # The database is still away: the lease will expire and beat requeues it.
        logger.warning("report run %s: could not release the claim", run.pk)


def _give_up(*, run_id: int, expected_status: str, now: datetime) -> bool:
    stale = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_until__lt=now)
    updated = (
        ReportRun.objects.filter(pk=run_id, status=expected_status)
        .filter(stale)
        .update(
            status=Status.FAILED,
            lease_until=None,
            finished_at=now,
            error=(
                f"The report could not be completed after {MAX_ATTEMPTS} attempts (each one "
                "was interrupted: the background worker stopped, ran out of time or lost the "
                "database). Try a shorter date range, or ask an administrator to check the "
                "report workers."
            ),
        )
    )
    return bool(updated)


# Beat ----------------------------------------------------------------------------------


def report_runs_requeue_stale(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue lost runs; fail those out of attempts. Returns the ids re-enqueued.

    Lost means: queued and not claimed by its ``lease_until`` (the message was
    lost, or the queue is far behind: a duplicate message is harmless, the
    claim makes it a no-op), or running with its lease passed (the worker died).
    """
    now = now or timezone.now()
    stale = (
        Q(status=Status.QUEUED)
        & (Q(lease_until__lt=now) | Q(lease_until__isnull=True, created_at__lt=now - QUEUED_GRACE))
    ) | Q(status=Status.RUNNING, lease_until__lt=now)
    requeued: list[int] = []
    candidates = list(
        ReportRun.objects.filter(stale).values_list("pk", "status", "lease_until", "attempts")
    )
    for pk, status, lease_until, attempts in candidates:
        if attempts >= MAX_ATTEMPTS:
            if _give_up(run_id=pk, expected_status=status, now=now):
                logger.warning("report run %s: gave up after %s attempts", pk, attempts)
            continue
        with transaction.atomic():
            # Only if nobody touched it since we looked (a claim changes status/lease).
            updated = ReportRun.objects.filter(
                pk=pk, status=status, lease_until=lease_until
            ).update(status=Status.QUEUED, lease_until=now + QUEUED_GRACE)
            if updated:
                run = ReportRun.objects.get(pk=pk)
                report_run_enqueue(run=run)
                requeued.append(pk)
    if requeued:
        logger.info("requeued stale report runs: %s", requeued)
    return requeued


# Reading ---------------------------------------------------------------------------------


def report_run_output_open(*, run: ReportRun):
    """The output file, open for reading; ReportError when it is gone."""
    if run.status != Status.DONE or not run.output:
        raise reports.ReportError("This run has no output to download.")
    if not default_storage.exists(run.output.name):
        raise reports.ReportError(
            "The output file of this run is no longer available; run the report again."
        )
    return default_storage.open(run.output.name, "rb")


class DownloadRefused(Exception):
    """The requester's role no longer allows the report; the refusal is trailed."""


def report_run_download(*, run: ReportRun, user):
    """Open the output for its requester and write the export to the trail.

    The run is already the user's (the caller looked it up through the policy);
    this re-checks that their role still allows the report, since roles change.
    """
    try:
        report = reports.get(run.report_key)
    except reports.ReportError:
        report = None
    if report is not None and not report.available_to(user):
        trail.record(
            trail.Action.DENIED,
            object_type="him.reportrun",
            object_id=str(run.public_id),
            outcome=trail.Outcome.DENIED,
            reason=f"role no longer allows report {run.report_key}",
        )
        raise DownloadRefused("Your role no longer allows this report.")
    handle = report_run_output_open(run=run)
    trail.record(
        trail.Action.EXPORT,
        object_type="him.reportrun",
        object_id=str(run.public_id),
        detail={
            "download": True,
            "report": run.report_key,
            "format": run.output_format,
            "rows": run.row_count,
        },
    )
    return handle
