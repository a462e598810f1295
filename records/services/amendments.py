"""Amendment requests under HIPAA, 45 CFR 164.526.

Deadlines: act within 60 days of receipt (b)(2); one extension of at most 30
days, only with a written notice to the individual, within the first 60 days,
stating the reason and the date of decision (b)(2)(ii). Accepting appends the
amendment to each affected record (c)(1); denying sends a plain-language letter
with the basis, the right to a statement of disagreement, what happens without
one, and how to complain to us and to the Secretary (d)(1). A statement of
disagreement may be answered by a rebuttal (d)(2)-(3); all of it is linked to
the record (d)(4).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from him import trail
from records.models import AmendmentRequest, Document, DocumentVersion, Patient
from records.models.amendments import EXTENSION_DAYS, RESPONSE_DAYS

Status = AmendmentRequest.Status
Basis = AmendmentRequest.DenialBasis
DECIDE_PERMISSION = "records.decide_amendment"


@dataclass(frozen=True)
class PrivacyContact:
    """Who takes complaints at the covered entity (164.526(d)(1)(iv))."""

    name: str
    title: str
    phone: str
    address: str


def privacy_contact() -> PrivacyContact:
    """From settings.HIM_PRIVACY_CONTACT (a dict) when set, else the defaults."""
    defaults = {
        "name": "Privacy Office",
        "title": "Privacy Officer",
        "phone": "(555) 010-0100",
        "address": "Health Information Management, 100 Main Street, Springfield",
    }
    return PrivacyContact(**{**defaults, **getattr(settings, "HIM_PRIVACY_CONTACT", {})})


# What the individual reads about each basis, in plain language.
BASIS_EXPLANATIONS = {
    Basis.NOT_CREATED_HERE: (
        "The information you asked us to change was not created by us. The person or "
        "organization that created it is still available to act on your request, so please "
        "send your request to them."
    ),
    Basis.NOT_IN_RECORD_SET: (
        "The information you asked us to change is not part of the records we use to make "
        "decisions about you (the designated record set)."
    ),
    Basis.NOT_AVAILABLE_FOR_INSPECTION: (
        "The information you asked us to change is not information that the law allows you "
        "to inspect (45 CFR 164.524), so it cannot be amended at your request."
    ),
    Basis.ACCURATE_COMPLETE: (
        "We reviewed the information and found that it is accurate and complete as it is."
    ),
}

HHS_COMPLAINTS = (
    "U.S. Department of Health and Human Services, Office for Civil Rights, "
    "200 Independence Avenue, S.W., Washington, D.C. 20201; telephone 1-800-368-1019; "
    "online at https://www.hhs.gov/ocr/complaints"
)


def _today() -> dt.date:
    return timezone.localdate()


def _not_future(value: dt.date, field: str, what: str) -> None:
    if value > _today():
        raise ValidationError({field: f"The {what} cannot be in the future."})


def _locked(request: AmendmentRequest) -> AmendmentRequest:
    return AmendmentRequest.objects.select_for_update().get(pk=request.pk)


def _require_decider(user) -> None:
    if not user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(
            "Only an HIM manager or the privacy officer may accept or deny an amendment."
        )


def _require_open(request: AmendmentRequest, doing: str) -> None:
    if not request.is_open:
        raise ValidationError(
            f"This request is already {request.get_status_display().lower()}; it cannot be {doing}."
        )


def _trail(request: AmendmentRequest, action: str, reason: str, **detail) -> None:
    trail.record(action, obj=request, reason=reason, detail=detail or None)


# Receive ---------------------------------------------------------------------------------


@transaction.atomic
def amendment_receive(
    *,
    patient: Patient,
    documents: list[Document],
    requested_change: str,
    requester_name: str,
    received_on: dt.date,
    user,
    requester_relationship: str = "Self",
) -> AmendmentRequest:
    """Log a written request; it is due 60 days after receipt."""
    errors: dict[str, str] = {}
    if not requested_change.strip():
        errors["requested_change"] = "Describe the change the individual asks for."
    if not requester_name.strip():
        errors["requester_name"] = "Name the person making the request."
    if not documents:
        errors["documents"] = "Choose at least one of the patient's documents."
    elif any(d.patient_id != patient.pk for d in documents):
        errors["documents"] = "Every document must belong to this patient."
    if received_on is None:
        errors["received_on"] = "Give the date the request was received."
    elif received_on > _today():
        errors["received_on"] = "The received date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    request = AmendmentRequest.objects.create(
        patient=patient,
        requested_change=requested_change.strip(),
        requester_name=requester_name.strip(),
        requester_relationship=(requester_relationship or "Self").strip(),
        received_on=received_on,
        due_on=received_on + dt.timedelta(days=RESPONSE_DAYS),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    request.documents.set(documents)
    _trail(
        request,
        trail.Action.CREATE,
        "amendment request received",
        documents=[str(d.public_id) for d in documents],
        due_on=request.due_on.isoformat(),
    )
    return request


# Extend ----------------------------------------------------------------------------------


@transaction.atomic
def amendment_extend(
    *, request: AmendmentRequest, notice_on: dt.date, reason: str, user
) -> AmendmentRequest:
    """The one 30-day extension, given in a written notice sent within the first 60 days."""
    request = _locked(request)
    if request.extended_due_on is not None:
        raise ValidationError(
            "This request was already extended once; the rule allows only one extension."
        )
    _require_open(request, "extended")
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for the delay; the written notice must state it."
    if notice_on is None:
        errors["notice_on"] = "Give the date the written notice was sent."
    elif notice_on > request.due_on:
        errors["notice_on"] = (
            f"The notice is dated after the first due date ({request.due_on:%Y-%m-%d}); "
            "an extension must be sent before the first 60 days end."
        )
    elif notice_on < request.received_on:
        errors["notice_on"] = "The notice cannot be dated before the request was received."
    elif notice_on > _today():
        errors["notice_on"] = "The notice date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    request.extended_due_on = request.due_on + dt.timedelta(days=EXTENSION_DAYS)
    request.extension_notice_on = notice_on
    request.extension_reason = reason.strip()
    request.status = Status.EXTENDED
    request.save()
    _trail(
        request,
        trail.Action.UPDATE,
        "amendment extended",
        notice_on=notice_on.isoformat(),
        extended_due_on=request.extended_due_on.isoformat(),
    )
    return request


# Decide ----------------------------------------------------------------------------------


def _decision_date(request: AmendmentRequest, decided_on: dt.date | None) -> dt.date:
    decided_on = decided_on or _today()
    _not_future(decided_on, "decided_on", "decision date")
    if decided_on < request.received_on:
        raise ValidationError(
            {"decided_on": "The decision cannot be dated before the request was received."}
        )
    return decided_on


def amendment_text(request: AmendmentRequest) -> str:
    """What is appended to each affected document."""
    who = request.requester_name
    if request.requester_relationship and request.requester_relationship.lower() != "self":
        who = f"{who} ({request.requester_relationship})"
    return (
        f"AMENDMENT under 45 CFR 164.526, accepted {request.decided_on:%Y-%m-%d}.\n"
        f"Amendment request {request.public_id}, received {request.received_on:%Y-%m-%d} "
        f"from {who}.\n\n"
        f"{request.requested_change}"
    )


@transaction.atomic
def amendment_accept(
    *,
    request: AmendmentRequest,
    user,
    notify_persons: str = "",
    decided_on: dt.date | None = None,
) -> AmendmentRequest:
    """Append the amendment to each document concerned (a new version each)."""
    _require_decider(user)
    request = _locked(request)
    _require_open(request, "accepted")
    request.decided_on = _decision_date(request, decided_on)
    request.status = Status.ACCEPTED
    request.decided_by = user
    request.notify_persons = (notify_persons or "").strip()
    text = amendment_text(request)
    versions = []
    for document in request.documents.order_by("pk"):
        version = document_add_version(
            document=document,
            kind=DocumentVersion.Kind.AMENDMENT,
            user=user,
            reason=f"Amendment request {request.short_ref} accepted (45 CFR 164.526)",
            text=text,
        )
        versions.append({"document": str(document.public_id), "version": version.number})
    request.acceptance_notice.save(
        "acceptance-notice.pdf", ContentFile(render_letter(acceptance_letter(request))), save=False
    )
    request.save()
    _trail(request, trail.Action.UPDATE, "amendment accepted", versions=versions)
    return request


def document_add_version(**kwargs):
    # Looked up at call time so the documents part can wrap it.
    from records.services.documents import document_add_version as add

    return add(**kwargs)


@transaction.atomic
def amendment_deny(
    *,
    request: AmendmentRequest,
    user,
    basis: str,
    explanation: str = "",
    decided_on: dt.date | None = None,
) -> AmendmentRequest:
    """Deny on one of the rule's bases and produce the denial letter (PDF)."""
    _require_decider(user)
    if basis not in Basis.values:
        raise ValidationError(
            {"basis": "Choose the basis for denial from the list in 45 CFR 164.526(a)(2)."}
        )
    request = _locked(request)
    _require_open(request, "denied")
    request.decided_on = _decision_date(request, decided_on)
    request.status = Status.DENIED
    request.decided_by = user
    request.denial_basis = basis
    request.denial_explanation = (explanation or "").strip()
    request.denial_letter.save(
        "denial-letter.pdf", ContentFile(render_letter(denial_letter(request))), save=False
    )
    request.save()
    _trail(request, trail.Action.UPDATE, "amendment denied", basis=basis)
    return request


# After a denial --------------------------------------------------------------------------


@transaction.atomic
def amendment_record_disagreement(
    *, request: AmendmentRequest, statement: str, received_on: dt.date, user
) -> AmendmentRequest:
    """The individual's written statement of disagreement with a denial."""
    request = _locked(request)
    if request.status != Status.DENIED:
        raise ValidationError(
            "A statement of disagreement answers a denial; this request was not denied."
        )
    if request.disagreement_statement:
        raise ValidationError("A statement of disagreement is already recorded for this request.")
    errors: dict[str, str] = {}
    if not (statement or "").strip():
        errors["statement"] = "Enter the individual's statement of disagreement."
    if received_on is None:
        errors["received_on"] = "Give the date the statement was received."
    elif received_on > _today():
        errors["received_on"] = "The received date cannot be in the future."
    elif request.decided_on and received_on < request.decided_on:
        errors["received_on"] = "The statement cannot be received before the denial."
    if errors:
        raise ValidationError(errors)
    request.disagreement_statement = statement.strip()
    request.disagreement_received_on = received_on
    request.save()
    _trail(request, trail.Action.UPDATE, "statement of disagreement recorded")
    return request


@transaction.atomic
def amendment_record_rebuttal(
    *, request: AmendmentRequest, statement: str, rebuttal_on: dt.date, user
) -> AmendmentRequest:
    """Our answer to a statement of disagreement; a copy goes to the individual."""
    request = _locked(request)
    if not request.disagreement_statement:
        raise ValidationError(
            "A rebuttal answers a statement of disagreement; record the disagreement first."
        )
    if request.rebuttal_statement:
        raise ValidationError("A rebuttal is already recorded for this request.")
    errors: dict[str, str] = {}
    if not (statement or "").strip():
        errors["statement"] = "Enter the rebuttal."
    if rebuttal_on is None:
        errors["rebuttal_on"] = "Give the date of the rebuttal."
    elif rebuttal_on > _today():
        errors["rebuttal_on"] = "The rebuttal date cannot be in the future."
    elif rebuttal_on < request.disagreement_received_on:
        errors["rebuttal_on"] = "The rebuttal cannot be dated before the disagreement."
    if errors:
        raise ValidationError(errors)
    request.rebuttal_statement = statement.strip()
    request.rebuttal_on = rebuttal_on
    request.save()
    _trail(request, trail.Action.UPDATE, "rebuttal recorded")
    return request


@transaction.atomic
def amendment_withdraw(
    *, request: AmendmentRequest, user, note: str = "", withdrawn_on: dt.date | None = None
) -> AmendmentRequest:
    """The individual withdrew the request before a decision."""
    request = _locked(request)
    _require_open(request, "withdrawn")
    withdrawn_on = withdrawn_on or _today()
    _not_future(withdrawn_on, "withdrawn_on", "withdrawal date")
    if withdrawn_on < request.received_on:
        raise ValidationError(
            {"withdrawn_on": "The withdrawal cannot be dated before the request was received."}
        )
    request.status = Status.WITHDRAWN
    request.withdrawn_on = withdrawn_on
    request.withdrawal_note = (note or "").strip()
    request.save()
    _trail(request, trail.Action.UPDATE, "amendment withdrawn")
    return request


def amendment_letter_download(*, request: AmendmentRequest, kind: str, user):
    """Open the denial letter or acceptance notice and write the export to the trail."""
    fields = {"denial": request.denial_letter, "acceptance": request.acceptance_notice}
    field = fields.get(kind)
    if field is None:
        raise FileNotFoundError("Ask for the denial letter or the acceptance notice.")
    if not field or not field.storage.exists(field.name):
        raise FileNotFoundError("This request has no such letter.")
    trail.record(trail.Action.EXPORT, obj=request, detail={"letter": kind})
    return field.open("rb")


# Letters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    title: str
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join([self.title, *self.paragraphs])


def _addressee(request: AmendmentRequest) -> str:
    return f"Dear {request.requester_name},"


def _facility_name(request: AmendmentRequest) -> str:
    return request.patient.facility.name


def denial_letter(request: AmendmentRequest) -> Letter:
    """The denial letter's text, in plain language (164.526(d)(1))."""
    contact = privacy_contact()
    facility = _facility_name(request)
    basis = Basis(request.denial_basis)
    paragraphs = [
        f"{timezone.localdate():%B %d, %Y}",
        _addressee(request),
        (
            f"On {request.received_on:%B %d, %Y} we received your request to amend the health "
            f"record of {request.patient.given_name} {request.patient.family_name} "
            f"(request {request.short_ref}). You asked us to make this change: "
            f"\u201c{request.requested_change}\u201d"
        ),
        f"We have denied your request. The reason: {BASIS_EXPLANATIONS[basis]}",
    ]
    if request.denial_explanation:
        paragraphs.append(request.denial_explanation)
    paragraphs += [
        (
            "Your right to disagree. You have the right to submit a written statement of "
            "disagreement with this denial and the reasons for it. Send or bring it to "
            f"{contact.name}, {contact.title}, {contact.address} (telephone {contact.phone}). "
            "Please keep it to one or two pages. We will add your statement to your record, and "
            "we may write a rebuttal, of which we will send you a copy."
        ),
        (
            "If you do not submit a statement of disagreement, you may ask that we include a "
            "copy of your request and of this letter with any future disclosure of the "
            "information you asked us to change."
        ),
        (
            f"How to complain. You may complain to us: contact {contact.name}, {contact.title}, "
            f"at {contact.phone} or {contact.address}. You may also complain to the Secretary of "
            f"the U.S. Department of Health and Human Services, Office for Civil Rights: "
            f"{HHS_COMPLAINTS}. We will not retaliate against you for filing a complaint."
        ),
        f"Sincerely,\n{contact.title}, {facility}",
    ]
    return Letter(
        title=f"{facility}: denial of your request to amend your health record",
        paragraphs=paragraphs,
    )


def acceptance_letter(request: AmendmentRequest) -> Letter:
    """The notice that the amendment was made (164.526(c)(2))."""
    contact = privacy_contact()
    facility = _facility_name(request)
    paragraphs = [
        f"{timezone.localdate():%B %d, %Y}",
        _addressee(request),
        (
            f"We have accepted your request of {request.received_on:%B %d, %Y} to amend the "
            f"health record of {request.patient.given_name} {request.patient.family_name} "
            f"(request {request.short_ref}). The amendment has been added to the records "
            "concerned."
        ),
    ]
    if request.notify_persons:
        names = ", ".join(n.strip() for n in request.notify_persons.splitlines() if n.strip())
        paragraphs.append(
            f"As you asked, we will tell these persons about the amendment: {names}. We will "
            "also tell others we know have the information and may rely on it to your detriment."
        )
    paragraphs += [
        f"Questions: {contact.name}, {contact.title}, {contact.phone}.",
        f"Sincerely,\n{contact.title}, {facility}",
    ]
    return Letter(
        title=f"{facility}: your request to amend your health record", paragraphs=paragraphs
    )


def render_letter(letter: Letter) -> bytes:
    """A one- or two-page letter (reportlab)."""
    from reportlab.lib.pagesizes import letter as page
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story: list = [Paragraph(escape(letter.title), styles["Heading2"]), Spacer(1, 0.15 * inch)]
    for text in letter.paragraphs:
        story.append(Paragraph(escape(text).replace("\n", "<br/>"), styles["BodyText"]))
        story.append(Spacer(1, 0.1 * inch))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=page,
        title=letter.title,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
    ).build(story)
    return buffer.getvalue()
