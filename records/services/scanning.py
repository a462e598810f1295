"""Scanning intake: scanned files land in a facility's queue, then a technician
indexes each to a patient (filing a Document) or rejects it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import trail
from him.models import Facility
from records.files import version_file_fields
from records.models import Document, Encounter, Patient, Provider, ScanUpload
from records.services.documents import document_create

Status = ScanUpload.Status


def scan_duplicate_of(*, facility: Facility, sha256: str, exclude_pk: int | None = None):
    """The indexed upload holding the same bytes at this facility, if any."""
    found = ScanUpload.objects.filter(facility=facility, sha256=sha256, status=Status.INDEXED)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.select_related("document").first()


def duplicate_warning(upload: ScanUpload) -> str:
    other = scan_duplicate_of(facility=upload.facility, sha256=upload.sha256, exclude_pk=upload.pk)
    if other is None:
        return ""
    when = timezone.localtime(other.indexed_at).strftime("%Y-%m-%d") if other.indexed_at else ""
    return (
        f"“{upload.file_name}” has the same content as a scan already indexed on {when} "
        f"({other.file_name}); check it is not a duplicate before indexing it again."
    )


@transaction.atomic
def scan_upload_create(*, facility: Facility, user, file) -> ScanUpload:
    """Store one scanned file, checked by its content, in the facility's queue."""
    try:
        fields = version_file_fields(file, getattr(file, "facts", None))
    except ValidationError as exc:
        name = getattr(file, "name", "the file")
        raise ValidationError({"file": [f"{name}: {m}" for m in exc.messages]}) from None
    return ScanUpload.objects.create(
        facility=facility,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        **fields,
    )


@transaction.atomic
def scan_upload_index(
    *,
    upload: ScanUpload,
    user,
    patient: Patient,
    doc_type: str = Document.Type.OUTSIDE_RECORD,
    service_date: dt.date,
    encounter: Encounter | None = None,
    title: str = "",
    author: Provider | None = None,
) -> Document:
    """File the scan as a new document of ``patient``; the upload is its first version's file."""
    upload = ScanUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != Status.UNINDEXED:
        raise ValidationError(f"This scan is already {upload.get_status_display().lower()}.")
    if patient.facility_id != upload.facility_id and (
        encounter is None or encounter.facility_id != upload.facility_id
    ):
        raise ValidationError(
            {"patient": "That patient is not registered at the facility that scanned this file."}
        )
    if service_date > timezone.localdate():
        raise ValidationError({"service_date": "The service date cannot be in the future."})
    document = document_create(
        patient=patient,
        encounter=encounter,
        doc_type=doc_type,
        service_date=service_date,
        title=title or upload.file_name,
        author=author,
        user=user,
        status=Document.Status.SIGNED if author is None else Document.Status.PENDING_SIGNATURE,
        version_fields={
            "file": upload.file.name,
            "file_name": upload.file_name,
            "content_type": upload.content_type,
            "size": upload.size,
            "page_count": upload.page_count,
            "sha256": upload.sha256,
        },
    )
    upload.status = Status.INDEXED
    upload.document = document
    upload.indexed_by = user if getattr(user, "is_authenticated", False) else None
    upload.indexed_at = timezone.now()
    upload.save(update_fields=["status", "document", "indexed_by", "indexed_at"])
    trail.record(trail.Action.CREATE, obj=document, reason="indexed from a scan")
    trail.record(
        trail.Action.UPDATE, obj=upload, reason="indexed", detail={"document": document.public_ref}
    )
    return document


@transaction.atomic
def scan_upload_reject(*, upload: ScanUpload, user, reason: str) -> ScanUpload:
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the scan is rejected."})
    upload = ScanUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != Status.UNINDEXED:
        raise ValidationError(f"This scan is already {upload.get_status_display().lower()}.")
    upload.status = Status.REJECTED
    upload.reject_reason = reason.strip()
    upload.indexed_by = user if getattr(user, "is_authenticated", False) else None
    upload.indexed_at = timezone.now()
    upload.save(update_fields=["status", "reject_reason", "indexed_by", "indexed_at"])
    trail.record(trail.Action.UPDATE, obj=upload, reason=f"rejected: {upload.reject_reason}")
    return upload
