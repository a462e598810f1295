"""The accounting of disclosures, 45 CFR 164.528.

An individual may ask for an accounting of the disclosures of their PHI made in
the six years before the request, except those exempt under (a)(1): for
treatment, payment or health care operations, to the individual, incident to a
permitted use, under an authorization, for the facility directory or to persons
involved in care, for national security, to correctional institutions, or as
part of a limited data set. So a release through ROI writes an entry only when
none of those applies (a court order, a subpoena, law enforcement, public
health, oversight, research without authorization...); disclosures made
outside ROI are entered by hand.

A health oversight agency or law enforcement official may have the accounting
of their disclosures suspended for a stated time (a)(2); during it those
entries are left out. The accounting is due within 60 days, with one 30-day
extension given in writing before then (c)(1); the first in any 12 months is
free, later ones may carry a reasonable cost-based fee the individual was told
of in advance (c)(2).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from him import trail
from records.models import Patient
from records.services.amendments import HHS_COMPLAINTS, Letter, privacy_contact, render_letter
from release_of_info import hooks
from release_of_info.models import AccountingRequest, AccountingSuspension, Disclosure, ROIRequest
from release_of_info.models.release import (
    ACCOUNTING_DUE_DAYS,
    ACCOUNTING_EXTENSION_DAYS,
    ACCOUNTING_YEARS,
    ORAL_SUSPENSION_MAX_DAYS,
)

Basis = Disclosure.Basis
Purpose = ROIRequest.Purpose

# The 164.512 basis a non-exempt ROI release most likely rests on.
_BASIS_BY_PURPOSE = {
    Purpose.LAW_ENFORCEMENT: Basis.LAW_ENFORCEMENT,
    Purpose.PUBLIC_HEALTH: Basis.PUBLIC_HEALTH,
    Purpose.RESEARCH: Basis.RESEARCH,
    Purpose.LEGAL: Basis.JUDICIAL,
    Purpose.DISABILITY: Basis.REQUIRED_BY_LAW,
}
_BASIS_BY_REQUESTER = {
    "court": Basis.JUDICIAL,
    "law_enforcement": Basis.LAW_ENFORCEMENT,
    "government": Basis.HEALTH_OVERSIGHT,
    "researcher": Basis.RESEARCH,
}


def _today() -> dt.date:
    return timezone.localdate()


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# The 164.512 basis recorded on the request (release_of_info.models.DisclosureBasis)
# -> the accounting entry's basis; None: exempt from the accounting.
_BASIS_BY_RECORDED = {
    "required_by_law": Basis.REQUIRED_BY_LAW,
    "public_health": Basis.PUBLIC_HEALTH,
    "abuse_neglect": Basis.ABUSE_NEGLECT,
    "health_oversight": Basis.HEALTH_OVERSIGHT,
    "court_order": Basis.JUDICIAL,
    "subpoena": Basis.JUDICIAL,
    "law_enforcement": Basis.LAW_ENFORCEMENT,
    "coroner": Basis.DECEDENTS,
    "organ_donation": Basis.ORGAN_DONATION,
    "research_waiver": Basis.RESEARCH,
    "serious_threat": Basis.SERIOUS_THREAT,
    "workers_comp": Basis.WORKERS_COMP,
    # Specialized government functions: national security, intelligence and
    # correctional disclosures are exempt (164.528(a)(1)(vi)-(vii)).
    "government": None,
}


def _recorded_basis(roi: ROIRequest):
    return getattr(roi, "disclosure_basis", None)


def exemption(roi: ROIRequest) -> str:
    """Why a release of ``roi`` is exempt from the accounting ('' when it is not)."""
    if roi.is_right_of_access or roi.requester.type == "patient":
        return "to the individual (164.528(a)(1)(ii))"
    if roi.purpose in (Purpose.TREATMENT, Purpose.PAYMENT):
        return "for treatment or payment (164.528(a)(1)(i))"
    recorded = _recorded_basis(roi)
    if recorded is not None:
        if _BASIS_BY_RECORDED.get(recorded.basis, Basis.OTHER) is None:
            return "national security or correctional (164.528(a)(1)(vi)-(vii))"
        return ""
    if "authorization" in hooks.collect(hooks.RELEASE_BASIS, request=roi):
        return "under a valid authorization (164.528(a)(1)(iv))"
    return ""


def accountable_basis(roi: ROIRequest) -> str:
    recorded = _recorded_basis(roi)
    if recorded is not None:
        return _BASIS_BY_RECORDED.get(recorded.basis) or Basis.OTHER
    return (
        _BASIS_BY_REQUESTER.get(roi.requester.type)
        or _BASIS_BY_PURPOSE.get(roi.purpose)
        or Basis.OTHER
    )


def describe_release(roi: ROIRequest, packet) -> str:
    parts = []
    if roi.document_types:
        parts.append("document types: " + ", ".join(roi.document_types))
    if roi.date_from or roi.date_to:
        start = f"{roi.date_from:%Y-%m-%d}" if roi.date_from else "the beginning"
        end = f"{roi.date_to:%Y-%m-%d}" if roi.date_to else "the request"
        parts.append(f"records dated {start} to {end}")
    items = roi.documents.filter(included=True).select_related("document")
    titles = [str(item.document.title) for item in items[:20]]
    if titles:
        parts.append("documents: " + "; ".join(titles))
    pages = f"{packet.page_count} pages" if packet and packet.page_count else "records"
    return f"Copy of {pages} (request {roi.number})" + (": " + ", ".join(parts) if parts else "")


def on_released(*, request: ROIRequest, packet, delivery) -> Disclosure | None:
    """RELEASED handler: write the accounting entry when the release is not exempt."""
    if exemption(request):
        return None
    purpose = request.get_purpose_display()
    if request.purpose_detail:
        purpose = f"{purpose}: {request.purpose_detail}"
    try:
        with transaction.atomic():
            entry = Disclosure.objects.create(
                patient=request.patient,
                facility=request.facility,
                request=request,
                source=Disclosure.Source.ROI,
                disclosed_on=timezone.localdate(),
                recipient_name=request.requester.name,
                recipient_address=request.requester.mailing_address,
                description=describe_release(request, packet),
                purpose=purpose,
                basis=accountable_basis(request),
                entered_by=delivery.created_by,
            )
    except IntegrityError:  # already written for this request
        return Disclosure.objects.get(request=request)
    trail.record(trail.Action.CREATE, obj=entry, reason="accounting of disclosures entry")
    return entry


# Entered by hand ----------------------------------------------------------------------


@transaction.atomic
def disclosure_record(
    *,
    patient: Patient,
    user,
    disclosed_on: dt.date,
    recipient_name: str,
    description: str,
    purpose: str,
    basis: str,
    recipient_address: str = "",
) -> Disclosure:
    errors: dict[str, str] = {}
    if disclosed_on is None:
        errors["disclosed_on"] = "Give the date of the disclosure."
    elif disclosed_on > _today():
        errors["disclosed_on"] = "The disclosure date cannot be in the future."
    elif disclosed_on < patient.birth_date:
        errors["disclosed_on"] = "The disclosure date is before the patient's birth."
    if not (recipient_name or "").strip():
        errors["recipient_name"] = "Name who received the information."
    if not (description or "").strip():
        errors["description"] = "Describe what was disclosed."
    if not (purpose or "").strip():
        errors["purpose"] = "State the purpose of the disclosure."
    if basis not in Basis.values:
        errors["basis"] = "Choose the basis of the disclosure."
    if errors:
        raise ValidationError(errors)
    entry = Disclosure.objects.create(
        patient=patient,
        facility=patient.facility,
        source=Disclosure.Source.MANUAL,
        disclosed_on=disclosed_on,
        recipient_name=recipient_name.strip(),
        recipient_address=(recipient_address or "").strip(),
        description=description.strip(),
        purpose=purpose.strip(),
        basis=basis,
        entered_by=user,
    )
    trail.record(trail.Action.CREATE, obj=entry, reason="disclosure entered by hand")
    return entry


@transaction.atomic
def suspension_record(
    *,
    patient: Patient,
    user,
    agency: str,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date,
    form: str = AccountingSuspension.Form.WRITTEN,
    official: str = "",
) -> AccountingSuspension:
    errors: dict[str, str] = {}
    if not (agency or "").strip():
        errors["agency"] = "Name the agency or official."
    if not (reason or "").strip():
        errors["reason"] = "State why the agency says an accounting would impede its work."
    if form not in AccountingSuspension.Form.values:
        errors["form"] = "Choose written or oral."
    if starts_on is None:
        errors["starts_on"] = "Give the first day of the suspension."
    if ends_on is None:
        errors["ends_on"] = (
            "Give the last day: the statement must say how long the suspension lasts."
        )
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = "The suspension cannot end before it starts."
        elif (
            form == AccountingSuspension.Form.ORAL
            and (ends_on - starts_on).days + 1 > ORAL_SUSPENSION_MAX_DAYS
        ):
            errors["ends_on"] = (
                f"An oral statement suspends the accounting for at most "
                f"{ORAL_SUSPENSION_MAX_DAYS} days; a longer suspension needs a written statement."
            )
    if errors:
        raise ValidationError(errors)
    suspension = AccountingSuspension.objects.create(
        patient=patient,
        agency=agency.strip(),
        official=(official or "").strip(),
        form=form,
        reason=reason.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=user,
    )
    trail.record(trail.Action.CREATE, obj=suspension, reason="accounting suspended for an agency")
    return suspension


# The accounting ------------------------------------------------------------------------


def accounting_fee() -> Decimal:
    return Decimal(str(getattr(settings, "ROI_ACCOUNTING_FEE", "25.00")))


def entries_for(
    patient: Patient, *, start: dt.date, end: dt.date, as_of: dt.date
) -> tuple[list[Disclosure], int]:
    """The disclosures an accounting produced on ``as_of`` lists, and how many are withheld."""
    rows = list(
        Disclosure.objects.filter(
            patient=patient, disclosed_on__gte=start, disclosed_on__lte=end
        ).order_by("disclosed_on", "pk")
    )
    active = [
        s.agency.strip().lower()
        for s in AccountingSuspension.objects.filter(
            patient=patient, starts_on__lte=as_of, ends_on__gte=as_of
        )
    ]
    shown = [d for d in rows if d.recipient_name.strip().lower() not in active]
    return shown, len(rows) - len(shown)


@transaction.atomic
def accounting_request_receive(
    *,
    patient: Patient,
    user,
    requester_name: str,
    received_on: dt.date,
    period_start: dt.date | None = None,
) -> AccountingRequest:
    errors: dict[str, str] = {}
    if not (requester_name or "").strip():
        errors["requester_name"] = "Name the person asking (the patient or their representative)."
    if received_on is None:
        errors["received_on"] = "Give the date the request was received."
    elif received_on > _today():
        errors["received_on"] = "The date received cannot be in the future."
    if errors:
        raise ValidationError(errors)
    earliest = years_before(received_on, ACCOUNTING_YEARS)
    if period_start is None:
        period_start = earliest
    elif period_start < earliest:
        raise ValidationError(
            {
                "period_start": (
                    f"An accounting covers at most the {ACCOUNTING_YEARS} years before the "
                    f"request: start on or after {earliest:%Y-%m-%d}."
                )
            }
        )
    elif period_start > received_on:
        raise ValidationError({"period_start": "The period cannot start after the request."})
    # The first accounting in any 12 months is free (c)(2).
    year_ago = years_before(received_on, 1)
    earlier = (
        AccountingRequest.objects.filter(
            patient=patient, received_on__gt=year_ago, received_on__lte=received_on
        )
        .exclude(status=AccountingRequest.Status.WITHDRAWN)
        .count()
    )
    fee, note = Decimal("0"), "First accounting in 12 months: free."
    if earlier:
        fee = accounting_fee()
        note = (
            "Another accounting within 12 months: a cost-based fee applies. Tell the individual "
            "the fee in advance; they may withdraw or narrow the request to avoid or reduce it."
        )
    obj = AccountingRequest.objects.create(
        patient=patient,
        requester_name=requester_name.strip(),
        received_on=received_on,
        period_start=period_start,
        due_on=received_on + dt.timedelta(days=ACCOUNTING_DUE_DAYS),
        fee=fee,
        fee_note=note,
        created_by=user,
    )
    trail.record(trail.Action.CREATE, obj=obj, reason="accounting of disclosures requested")
    return obj


def _locked(obj: AccountingRequest) -> AccountingRequest:
    return AccountingRequest.objects.select_for_update().get(pk=obj.pk)


def _require_open(obj: AccountingRequest, doing: str) -> None:
    if not obj.is_open:
        raise ValidationError(
            f"This accounting request is {obj.get_status_display().lower()}; it cannot be {doing}."
        )


@transaction.atomic
def accounting_request_extend(
    *, request: AccountingRequest, user, notice_on: dt.date, reason: str
) -> AccountingRequest:
    obj = _locked(request)
    _require_open(obj, "extended")
    if obj.extended_due_on is not None:
        raise ValidationError("This request was already extended once; only one is allowed.")
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for the delay; the written notice must state it."
    if notice_on is None:
        errors["notice_on"] = "Give the date of the written notice."
    elif notice_on > obj.due_on:
        errors["notice_on"] = (
            f"The notice is dated after the due date ({obj.due_on:%Y-%m-%d}); an extension "
            "must be given before the 60 days end."
        )
    elif notice_on < obj.received_on:
        errors["notice_on"] = "The notice cannot be dated before the request was received."
    elif notice_on > _today():
        errors["notice_on"] = "The notice date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    obj.extended_due_on = obj.due_on + dt.timedelta(days=ACCOUNTING_EXTENSION_DAYS)
    obj.extension_notice_on = notice_on
    obj.extension_reason = reason.strip()
    obj.status = AccountingRequest.Status.EXTENDED
    obj.save()
    trail.record(
        trail.Action.UPDATE,
        obj=obj,
        reason="accounting request extended",
        detail={"notice_on": notice_on.isoformat(), "due": obj.extended_due_on.isoformat()},
    )
    return obj


@transaction.atomic
def accounting_request_withdraw(*, request: AccountingRequest, user, note: str = ""):
    obj = _locked(request)
    _require_open(obj, "withdrawn")
    obj.status = AccountingRequest.Status.WITHDRAWN
    obj._change_reason = (note or "withdrawn").strip()
    obj.save()
    trail.record(trail.Action.UPDATE, obj=obj, reason="accounting request withdrawn")
    return obj


@transaction.atomic
def accounting_provide(*, request: AccountingRequest, user) -> AccountingRequest:
    """Produce the accounting (PDF), store it and close the request."""
    obj = _locked(request)
    _require_open(obj, "provided again")
    today = _today()
    entries, withheld = entries_for(obj.patient, start=obj.period_start, end=today, as_of=today)
    pdf = render_accounting(obj, entries, produced_on=today)
    obj.file.save(f"accounting-{obj.public_id}.pdf", ContentFile(pdf), save=False)
    obj.status = AccountingRequest.Status.PROVIDED
    obj.provided_on = today
    obj.entries = len(entries)
    obj.withheld = withheld
    obj.save()
    trail.record(
        trail.Action.EXPORT,
        obj=obj,
        reason="accounting of disclosures produced",
        detail={"entries": len(entries), "withheld": withheld},
    )
    return obj


def accounting_open(*, request: AccountingRequest, user):
    if not request.file or not request.file.storage.exists(request.file.name):
        raise FileNotFoundError("The accounting has not been produced yet.")
    trail.record(trail.Action.EXPORT, obj=request, reason="accounting of disclosures downloaded")
    return request.file.open("rb")


def extension_notice(obj: AccountingRequest) -> Letter:
    contact = privacy_contact()
    facility = obj.patient.facility.name
    return Letter(
        title=f"{facility}: your request for an accounting of disclosures",
        paragraphs=[
            f"{obj.extension_notice_on:%B %d, %Y}",
            f"Dear {obj.requester_name},",
            (
                f"On {obj.received_on:%B %d, %Y} we received your request for an accounting of "
                f"the disclosures of the health information of {obj.patient.given_name} "
                f"{obj.patient.family_name}. We need more time to complete it. The reason: "
                f"{obj.extension_reason}"
            ),
            f"You will receive the accounting no later than {obj.extended_due_on:%B %d, %Y}.",
            f"Questions: {contact.name}, {contact.title}, {contact.phone}, {contact.address}.",
            f"Sincerely,\n{contact.title}, {facility}",
        ],
    )


def extension_notice_pdf(*, request: AccountingRequest, user) -> bytes:
    if not request.extension_notice_on:
        raise FileNotFoundError("This request was not extended.")
    trail.record(trail.Action.EXPORT, obj=request, reason="extension notice downloaded")
    return render_letter(extension_notice(request))


def render_accounting(obj: AccountingRequest, entries: list[Disclosure], *, produced_on) -> bytes:
    """The accounting as the individual receives it (reportlab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    patient = obj.patient
    facility = patient.facility.name
    contact = privacy_contact()

    def p(text: str, style=small):
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    story: list = [
        Paragraph(escape(f"{facility}: accounting of disclosures"), styles["Heading2"]),
        p(
            f"Patient: {patient.given_name} {patient.family_name}, born "
            f"{patient.birth_date:%Y-%m-%d}, MRN {patient.mrn}",
            styles["BodyText"],
        ),
        p(
            f"Requested by {obj.requester_name} on {obj.received_on:%Y-%m-%d}. Disclosures from "
            f"{obj.period_start:%Y-%m-%d} to {produced_on:%Y-%m-%d}. Produced "
            f"{produced_on:%Y-%m-%d}.",
            styles["BodyText"],
        ),
        Spacer(1, 0.15 * inch),
    ]
    if entries:
        rows = [[p("Date"), p("Recipient"), p("What was disclosed"), p("Purpose")]]
        for d in entries:
            recipient = d.recipient_name + (
                f"\n{d.recipient_address}" if d.recipient_address else ""
            )
            rows.append(
                [p(f"{d.disclosed_on:%Y-%m-%d}"), p(recipient), p(d.description), p(d.purpose)]
            )
        table = Table(
            rows, colWidths=[0.9 * inch, 2.4 * inch, 3.6 * inch, 2.6 * inch], repeatRows=1
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    else:
        story.append(
            p(
                "We made no disclosures in this period that the law requires us to list.",
                styles["BodyText"],
            )
        )
    story += [
        Spacer(1, 0.2 * inch),
        p(
            "This accounting does not list disclosures for treatment, payment or health care "
            "operations, disclosures to you or made under your authorization, and the other "
            "disclosures that 45 CFR 164.528(a)(1) exempts.",
        ),
        p(
            f"Fee: {'none' if not obj.fee else f'${obj.fee}'}. Questions or complaints: "
            f"{contact.name}, {contact.title}, {contact.phone}, {contact.address}; or the "
            f"Secretary of Health and Human Services: {HHS_COMPLAINTS}."
        ),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=landscape(letter),
        title="Accounting of disclosures",
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
    ).build(story)
    return buffer.getvalue()
