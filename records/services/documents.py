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
from records.files import version_file_fields
from records.models import (
    Document,
    DocumentStatusChange,
    DocumentVersion,
    Encounter,
    Patient,
    Provider,
)

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
    file=None,
) -> Document:
    """File a new document with its first version (text and/or file fields).

    ``file`` (an uploaded file) is checked by its content (records.files) before
    anything is written; ``version_fields`` may carry already-checked fields.
    """
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": "That encounter belongs to another patient."})
    if file is not None:
        version_fields = {**(version_fields or {}), **_file_fields(file)}
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
    file=None,
) -> DocumentVersion:
    """A correction, addendum or amendment: a new version; the old one stays."""
    if kind == Kind.ORIGINAL:
        raise ValidationError({"kind": "A document has only one original."})
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Kind.values[1:])}."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this version is made."})
    if document.status == Status.ENTERED_IN_ERROR:
        raise ValidationError("This document was entered in error; file a new one instead.")
    if file is not None:
        version_fields = {**(version_fields or {}), **_file_fields(file)}
    if not text.strip() and not (version_fields or {}).get("file"):
        raise ValidationError({"text": "A new version needs its text or a file."})
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
    if previous == Status.ENTERED_IN_ERROR:
        raise ValidationError("This document is already marked entered in error.")
    document.status = Status.ENTERED_IN_ERROR
    document.save(update_fields=["status", "updated_at"])
    DocumentStatusChange.objects.create(
        document=document,
        from_status=previous,
        to_status=Status.ENTERED_IN_ERROR,
        reason=reason.strip(),
        changed_by=_user_or_none(user),
    )
    trail.record(
        trail.Action.UPDATE,
        obj=document,
        reason=f"entered in error: {reason}",
        detail={"from": previous},
    )
    hooks.fire(hooks.DOCUMENT_STATUS_CHANGED, document=document, previous=previous)
    return document


# Added by the documents part: files, edits of unsigned drafts, routing, signing as a user.

LOCKED_STATUSES = (Status.SIGNED, Status.AMENDED, Status.ENTERED_IN_ERROR)
SIGNED_NOT_EDITABLE = (
    "This document is signed and cannot be edited in place; add a correction or an "
    "addendum (a new version, with its reason) instead."
)


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def _file_fields(file) -> dict:
    try:
        return version_file_fields(file, getattr(file, "facts", None))
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None


@transaction.atomic
def document_update(
    *,
    document: Document,
    user,
    text: str | None = None,
    file=None,
    **fields,
) -> Document:
    """Edit a document that nobody has signed yet (a draft or one awaiting signature).

    ``fields`` are metadata (title, doc_type, service_date, author, encounter,
    sensitivity); ``text``/``file`` replace the unsigned current version's
    content. Anything signed is refused: a signed record changes only by a new version.
    """
    document = Document.objects.select_for_update().get(pk=document.pk)
    version = document.current_version
    if document.status in LOCKED_STATUSES or (version is not None and version.signed_at):
        if document.status == Status.ENTERED_IN_ERROR:
            raise ValidationError("This document was entered in error and cannot be edited.")
        raise ValidationError(SIGNED_NOT_EDITABLE)
    allowed = {"title", "doc_type", "service_date", "author", "encounter", "sensitivity"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    encounter = fields.get("encounter", document.encounter)
    if encounter is not None and encounter.patient_id != document.patient_id:
        raise ValidationError({"encounter": "That encounter belongs to another patient."})
    for name, value in fields.items():
        setattr(document, name, value)
    if "encounter" in fields and encounter is not None:
        document.facility = encounter.facility
    document.save()
    if version is not None and (text is not None or file is not None):
        if text is not None:
            version.text = text
        if file is not None:
            for name, value in _file_fields(file).items():
                setattr(version, name, value)
        version.save()
    return document


@transaction.atomic
def document_route_for_signature(*, document: Document, user) -> Document:
    """A finished draft goes to its author's signature queue."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be routed for signature; this one is "
            f"{document.get_status_display().lower()}."
        )
    if document.author_id is None:
        raise ValidationError({"author": "Choose the author who will sign this document."})
    version = document.current_version
    if version is None or not (version.text.strip() or version.file):
        raise ValidationError({"text": "The document is empty; type the report first."})
    document.status = Status.PENDING_SIGNATURE
    document.save(update_fields=["status", "updated_at"])
    DocumentStatusChange.objects.create(
        document=document,
        from_status=Status.DRAFT,
        to_status=Status.PENDING_SIGNATURE,
        reason="routed to the author for signature",
        changed_by=_user_or_none(user),
    )
    trail.record(
        trail.Action.UPDATE,
        obj=document,
        reason="routed for signature",
        detail={"author": document.author_id},
    )
    return document


class SignatureRefused(Exception):
    """The user may not sign this document (not its author, or not a physician)."""


def document_sign_as_user(*, document: Document, user) -> DocumentVersion:
    """A signed-in physician signs a document they authored.

    Raises SignatureRefused when the user holds no signing permission, is not
    linked to a provider, or is not the document's author.
    """
    provider = Provider.objects.filter(user=user, active=True).first()
    problem = ""
    if not user.has_perm("records.sign_document"):
        problem = "Your role does not allow signing documents."
    elif provider is None:
        problem = "Your account is not linked to a provider, so you cannot sign."
    elif document.author_id != provider.pk:
        problem = "Only the document's author can sign it."
    if problem:
        trail.record(
            trail.Action.DENIED, obj=document, outcome=trail.Outcome.DENIED, reason=problem
        )
        raise SignatureRefused(problem)
    return document_sign(document=document, provider=provider, user=user)
