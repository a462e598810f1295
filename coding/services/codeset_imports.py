"""Code-set files loaded in the background: ask, load, see how it went.

- ``import_request`` checks what can be checked at once (kind, setting, dates,
  version, an empty file), stores the upload with a ``CodeSetImport`` row
  (queued, with the asker's request context) and enqueues the task once the
  transaction commits;
- ``import_run`` (from the task) claims the row with one conditional UPDATE
  (queued, or running with its lease passed), so two deliveries of one message
  cannot both load it; loads the file through ``codesets.run_import`` (all of
  it or nothing; the trail row of the load or of the refusal is written there)
  and records the versions loaded or why the file was refused; the stored file
  is then removed;
- ``imports_requeue_stale`` (from beat, every minute) enqueues again an import
  whose message was lost or whose worker died, and fails one out of attempts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from coding.models import CodeSetImport
from coding.services import codesets
from him import context
from him.leases import LeasedJob

logger = logging.getLogger(__name__)
S = CodeSetImport.Status
LEASE = dt.timedelta(hours=1)  # a full NCCI quarter on a slow database takes minutes
QUEUED_GRACE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3


@transaction.atomic
def import_request(
    *,
    kind: str,
    data: bytes | File,
    filename: str,
    version: str,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    setting: str = "",
    user=None,
) -> CodeSetImport:
    """Store the file and queue its load; raises ``CodeSetError`` for a request that
    cannot succeed whatever the file holds.

    ``data``: the file's bytes, or the uploaded file itself, which is hashed and
    stored chunk by chunk (an NCCI file is tens of megabytes: a web worker need not
    hold it in memory)."""
    setting = setting or ""
    codesets.check_import(kind, version, effective_from, effective_to, setting=setting)
    upload = ContentFile(data) if isinstance(data, bytes) else data
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    if not size:
        raise codesets.CodeSetError("The file is empty.")
    upload.seek(0)
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200]
    job = CodeSetImport(
        kind=kind,
        setting=setting if kind in ("ncci_ptp", "mue") else "",
        version=version.strip(),
        effective_from=effective_from,
        effective_to=effective_to,
        filename=name,
        sha256=digest.hexdigest(),
        size=size,
        context=context.current().as_dict(),
        requested_by=user if getattr(user, "pk", None) else None,
    )
    job.file.save(f"{job.public_id}.upload", upload, save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(import_id: int) -> None:
    from coding.tasks_codesets import run_codeset_import

    run_codeset_import.delay(import_id)


JOB = LeasedJob(
    CodeSetImport,
    queued=S.QUEUED,
    running=S.RUNNING,
    failed=S.FAILED,
    requested_field="requested_at",
    lease=LEASE,
    grace=QUEUED_GRACE,
    max_attempts=MAX_ATTEMPTS,
)


def import_claim(import_id: int) -> CodeSetImport | None:
    return CodeSetImport.objects.get(pk=import_id) if JOB.claim(import_id) else None


def import_run(*, import_id: int) -> str:
    """Load a claimed import; safe to call any number of times for one import."""
    job = import_claim(import_id)
    if job is None:
        return "skipped"
    with context.use(context.RequestContext.from_dict(job.context)):
        try:
            with job.file.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            return _finish(job, error="The uploaded file is no longer stored: upload it again.")
        request = codesets.ImportRequest(
            data=data,
            filename=job.filename,
            version=job.version,
            effective_from=job.effective_from,
            effective_to=job.effective_to,
        )
        try:
            loaded = codesets.run_import(job.kind, request, setting=job.setting)
        except codesets.CodeSetError as exc:
            return _finish(job, error=str(exc))
        except Exception:  # whatever broke, the row must say it readably
            logger.exception("code-set import %s failed", job.public_id)
            return _finish(
                job,
                error="The file could not be loaded because of an unexpected error; the "
                f"details were logged for the administrators (import {job.public_id}). "
                "Nothing of it was kept.",
            )
        return _finish(
            job,
            loaded=[
                {"id": cs.pk, "label": str(cs), "system": cs.system, "items": cs.item_count}
                for cs in loaded
            ],
        )


def _finish(job: CodeSetImport, *, error: str = "", loaded: list | None = None) -> str:
    status = S.FAILED if error else S.DONE
    updated = CodeSetImport.objects.filter(pk=job.pk, status=S.RUNNING).update(
        status=status,
        error=error,
        loaded=loaded or [],
        lease_until=None,
        finished_at=timezone.now(),
    )
    if updated:
        _drop_file(job)
    return status


def _drop_file(job: CodeSetImport) -> None:
    """The upload is not kept once it is done with (its name and hash stay)."""
    if job.file:
        job.file.delete(save=False)
        CodeSetImport.objects.filter(pk=job.pk).update(file="")


def imports_requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Enqueue again the imports whose load was lost; fail those out of attempts."""

    def give_up(attempts: int) -> dict:
        return {
            "finished_at": timezone.now(),
            "error": f"The file could not be loaded after {attempts} attempts (each one was "
            "interrupted: the background worker stopped or ran out of time). Nothing of it "
            "was kept. Load it with manage.py load_codesets, or ask an administrator to "
            "check the workers.",
        }

    def given_up(pk: int) -> None:
        _drop_file(CodeSetImport.objects.get(pk=pk))

    return JOB.requeue_stale(enqueue=_enqueue, give_up=give_up, given_up=given_up, now=now)
