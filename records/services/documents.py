"""Writes on documents. A signed document is never edited in place.

These are the seams other parts build on (amendments append versions,
deficiencies complete on signature); the documents part adds file handling,
transcription and scanning on top.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from him import trail
from records import hooks
from records.models import Document, DocumentVersion, Encounter, Patient, Provider

Status = Document.Status
Kind = DocumentVersion.Kind


@transaction.atomic
def document_create(
    *,
    patient: Patient,
    doc_type: str,
    service_date,
    user,
    encounter: Encounter | None = None,
    author: Provider | None = None,
    title: str = "",
    text: str = "",
    sensitivity: int = 0,
    status: str = Status.DRAFT,
    version_fields: dict | None = None,
) -> Document:
    """File a new document with its first version (text and/or file fields)."""
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": "That encounter belongs to another patient."})
    document = Document.objects.create(
        patient=patient,
        encounter=encounter,
        facility=encounter.facility if encounter is not None else patient.facility,
        doc_type=doc_type,
        title=title,
        author=author,
        service_date=service_date,
        sensitivity=sensitivity,
        status=status,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    version = DocumentVersion.objects.create(
        document=document,
        number=1,
        kind=Kind.ORIGINAL,
        text=text,
        created_by=document.created_by,
        **(version_fields or {}),
    )
    document.current_version = version
    document.save(update_fields=["current_version", "updated_at"])
    hooks.fire(hooks.DOCUMENT_FILED, document=document)
    return document


@transaction.atomic
def document_add_version(
    *,
    document: Document,
    kind: str,
    user,
    reason: str,
    text: str = "",
    version_fields: dict | None = None,
) -> DocumentVersion:
    """A correction, addendum or amendment: a new version; the old one stays."""
    if kind == Kind.ORIGINAL:
        raise ValidationError({"kind": "A document has only one original."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why this version is made."})
    if document.status == Status.ENTERED_IN_ERROR:
        raise ValidationError("This document was entered in error; file a new one instead.")
    document = Document.objects.select_for_update().get(pk=document.pk)
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        kind=kind,
        text=text,
        reason=reason,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **(version_fields or {}),
    )
    document.current_version = version
    if document.status in (Status.SIGNED, Status.AMENDED):
        # A changed signed document needs the new version signed in turn.
        document.status = Status.AMENDED if kind == Kind.AMENDMENT else Status.PENDING_SIGNATURE
    document.save(update_fields=["current_version", "status", "updated_at"])
    trail.record(trail.Action.UPDATE, obj=document, detail={"version": number, "kind": kind})
    return version


@transaction.atomic
def document_sign(*, document: Document, provider: Provider, user) -> DocumentVersion:
    """The provider signs the current version."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    version = document.current_version
    if version is None:
        raise ValidationError("There is nothing to sign yet.")
    if document.status == Status.ENTERED_IN_ERROR:
        raise ValidationError("A document entered in error cannot be signed.")
    if version.signed_at is not None:
        raise ValidationError("This version is already signed.")
    version.signed_by = provider
    version.signed_at = timezone.now()
    version.save(update_fields=["signed_by", "signed_at"])
    document.status = Status.SIGNED
    document.save(update_fields=["status", "updated_at"])
    trail.record(
        trail.Action.UPDATE, obj=document, reason="signed", detail={"version": version.number}
    )
    hooks.fire(hooks.DOCUMENT_SIGNED, document=document, version=version)
    return version


@transaction.atomic
def document_mark_entered_in_error(*, document: Document, user, reason: str) -> Document:
    """Hide from normal views, keep for the record, with who and why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this document was entered in error."})
    document = Document.objects.select_for_update().get(pk=document.pk)
    previous = document.status
    document.status = Status.ENTERED_IN_ERROR
    document.save(update_fields=["status", "updated_at"])
    trail.record(
        trail.Action.UPDATE,
        obj=document,
        reason=f"entered in error: {reason}",
        detail={"from": previous},
    )
    hooks.fire(hooks.DOCUMENT_STATUS_CHANGED, document=document, previous=previous)
    return document
