"""Requests for records: intake, the HIPAA clock, the one extension, identity
verification, letters and the per-facility time limit.

The clock (45 CFR 164.524(b)(2)): act on a request no later than 30 calendar days
after receipt, or sooner where a state law (set per facility) says so. The
covered entity may extend once, by no more than 30 days, only if within the
first period it gives the individual a written statement of the reasons for the
delay and the date by which it will act. Status moves live in
``release_of_info.services.status``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from him import policy, trail
from him.models import Facility
from records.models import Document, Encounter, Patient
from release_of_info.models import DEFAULT_DUE_DAYS, MAX_EXTENSION_DAYS, Requester, ROIRequest
from release_of_info.models.requests import RequestLetter, ROIFacilitySettings, ROINumberSequence

S = ROIRequest.Status

# Purposes that need no authorization: identity is verified instead (164.524, 164.506).
IDENTITY_PURPOSES = (ROIRequest.Purpose.PERSONAL, ROIRequest.Purpose.TREATMENT)
ASSIGNABLE_PERMISSION = "release_of_info.change_roirequest"


def _today() -> dt.date:
    return timezone.localdate()


def document_type_choices() -> list[tuple[str, str]]:
    """What a request may ask for: the records app's document types."""
    return list(Document.Type.choices)


# The clock -------------------------------------------------------------------------------


def due_days_for(facility: Facility | None) -> int:
    """Days to respond at ``facility``: its state limit when shorter, else HIPAA's 30."""
    if facility is None:
        return DEFAULT_DUE_DAYS
    days = (
        ROIFacilitySettings.objects.filter(facility=facility)
        .values_list("due_days", flat=True)
        .first()
    )
    return min(days or DEFAULT_DUE_DAYS, DEFAULT_DUE_DAYS)


def due_date(facility: Facility | None, received_on: dt.date) -> dt.date:
    return received_on + dt.timedelta(days=due_days_for(facility))


def needs_identity_verification(roi: ROIRequest) -> bool:
    """Right of access and treatment requests: no authorization, identity verified instead."""
    return roi.is_right_of_access or roi.purpose == ROIRequest.Purpose.TREATMENT


def days_left(roi: ROIRequest, today: dt.date | None = None) -> int:
    return (roi.effective_due_on - (today or _today())).days


# Numbers ---------------------------------------------------------------------------------


def next_number(year: int) -> str:
    """``ROI-<year>-<6 digits>``; the year's counter row is locked, so two intakes at
    the same moment never share a number. Call inside a transaction."""
    try:
        with transaction.atomic():
            sequence = ROINumberSequence.objects.select_for_update().get(year=year)
    except ROINumberSequence.DoesNotExist:
        # First request of the year: start after any number already used (imports).
        used = ROIRequest.objects.filter(number__startswith=f"ROI-{year}-").order_by("-number")
        last = int(used.values_list("number", flat=True).first()[-6:]) if used.exists() else 0
        try:
            with transaction.atomic():
                ROINumberSequence.objects.create(year=year, last=last)
        except IntegrityError:
            pass  # another intake created it first; lock it below
        sequence = ROINumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    if sequence.last > 999_999:
        raise ValidationError(f"The request numbers of {year} are used up.")
    sequence.save(update_fields=["last"])
    return f"ROI-{year}-{sequence.last:06d}"


# Intake ----------------------------------------------------------------------------------


def _check_what_is_asked(
    *,
    patient: Patient,
    document_types: Iterable[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
    encounters: Iterable[Encounter],
    errors: dict[str, str],
) -> list[str]:
    types = list(dict.fromkeys(document_types or []))
    unknown = [t for t in types if t not in Document.Type.values]
    if unknown:
        errors["document_types"] = f"Unknown document type: {', '.join(unknown)}."
    if date_from and date_to and date_to < date_from:
        errors["date_to"] = "The end of the date range is before its start."
    if any(e.patient_id != patient.pk for e in encounters):
        errors["encounters"] = "Every encounter must be one of this patient's."
    return types


def assignable_users(facility: Facility | None = None):
    """Active users whose role may work requests (and, given ``facility``, who reach it).

    One query, whatever the number of users: the intake form lists them.
    """
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    from him.models import FacilityGroupObjectPermission, FacilityUserObjectPermission

    app_label, codename = ASSIGNABLE_PERMISSION.split(".")
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    users = get_user_model().objects.filter(is_active=True)
    users = users.filter(
        Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)
    )
    if facility is not None:
        direct = FacilityUserObjectPermission.objects.filter(
            content_object_id=facility.pk, permission__codename="access_facility"
        ).values("user_id")
        via_group = FacilityGroupObjectPermission.objects.filter(
            content_object_id=facility.pk, permission__codename="access_facility"
        ).values("group_id")
        users = users.filter(Q(pk__in=direct) | Q(groups__in=via_group))
    ids = users.values("pk")
    return (
        get_user_model().objects.filter(pk__in=ids).order_by("last_name", "first_name", "username")
    )


def _may_work(user) -> bool:
    return bool(user and user.is_active and user.has_perm(ASSIGNABLE_PERMISSION))


def _check_assignee(assigned_to, facility: Facility, errors: dict[str, str]) -> None:
    if assigned_to is None:
        return
    if not _may_work(assigned_to):
        errors["assigned_to"] = f"{assigned_to.username} does not work release-of-information."
    elif facility.pk not in policy.facility_ids(assigned_to):
        errors["assigned_to"] = f"{assigned_to.username} has no access to {facility.name}."


@transaction.atomic
def roi_request_create(
    *,
    patient: Patient,
    requester: Requester,
    received_on: dt.date,
    purpose: str,
    user,
    purpose_detail: str = "",
    document_types: Iterable[str] = (),
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    encounters: Iterable[Encounter] = (),
    format: str = ROIRequest.Format.ELECTRONIC,
    delivery: str = ROIRequest.Delivery.SECURE_LINK,
    assigned_to=None,
) -> ROIRequest:
    """Log a request; it is numbered and due ``due_days_for(facility)`` after receipt.

    The caller has already found ``patient`` through the policy; the view or
    endpoint re-checks the result is in the user's reach before committing.
    """
    errors: dict[str, str] = {}
    encounters = list(encounters or [])
    if requester is None:
        errors["requester"] = "Choose who is asking, or add them."
    if received_on is None:
        errors["received_on"] = "Give the date the request was received."
    elif received_on > _today():
        errors["received_on"] = "The received date cannot be in the future."
    if purpose not in ROIRequest.Purpose.values:
        errors["purpose"] = "Choose the purpose of the request."
    if format not in ROIRequest.Format.values:
        errors["format"] = "Choose electronic or paper."
    if delivery not in ROIRequest.Delivery.values:
        errors["delivery"] = "Choose secure link or mail."
    types = _check_what_is_asked(
        patient=patient,
        document_types=document_types,
        date_from=date_from,
        date_to=date_to,
        encounters=encounters,
        errors=errors,
    )
    _check_assignee(assigned_to, patient.facility, errors)
    if errors:
        raise ValidationError(errors)
    roi = ROIRequest.objects.create(
        number=next_number(received_on.year),
        facility=patient.facility,
        patient=patient,
        requester=requester,
        received_on=received_on,
        purpose=purpose,
        purpose_detail=(purpose_detail or "").strip(),
        document_types=types,
        date_from=date_from,
        date_to=date_to,
        format=format,
        delivery=delivery,
        assigned_to=assigned_to,
        due_on=due_date(patient.facility, received_on),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if encounters:
        roi.encounters.set(encounters)
    trail.record(
        trail.Action.CREATE,
        obj=roi,
        reason="request for records logged",
        detail={"number": roi.number, "due_on": roi.due_on.isoformat()},
    )
    return roi


EDITABLE = (
    "requester",
    "purpose",
    "purpose_detail",
    "document_types",
    "date_from",
    "date_to",
    "format",
    "delivery",
    "assigned_to",
    "received_on",
)


@transaction.atomic
def roi_request_update(*, roi: ROIRequest, user, **changes) -> ROIRequest:
    """Correct what was logged. A corrected received date moves the due date, unless the
    request was extended (the notice already named a date)."""
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    unknown = set(changes) - set(EDITABLE) - {"encounters"}
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    if not roi.is_open:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}; it cannot be edited."
        )
    errors: dict[str, str] = {}
    merged = {name: changes.get(name, getattr(roi, name)) for name in EDITABLE}
    encounters = changes.get("encounters")
    received_on = merged["received_on"]
    if received_on is None:
        errors["received_on"] = "Give the date the request was received."
    elif received_on > _today():
        errors["received_on"] = "The received date cannot be in the future."
    elif received_on != roi.received_on and roi.extended_due_on:
        errors["received_on"] = (
            "This request was extended with a notice naming a date; the received date "
            "can no longer change."
        )
    if merged["requester"] is None:
        errors["requester"] = "Choose who is asking."
    if merged["purpose"] not in ROIRequest.Purpose.values:
        errors["purpose"] = "Choose the purpose of the request."
    if merged["format"] not in ROIRequest.Format.values:
        errors["format"] = "Choose electronic or paper."
    if merged["delivery"] not in ROIRequest.Delivery.values:
        errors["delivery"] = "Choose secure link or mail."
    merged["document_types"] = _check_what_is_asked(
        patient=roi.patient,
        document_types=merged["document_types"],
        date_from=merged["date_from"],
        date_to=merged["date_to"],
        encounters=encounters or [],
        errors=errors,
    )
    if merged["assigned_to"] is not None and merged["assigned_to"] != roi.assigned_to:
        _check_assignee(merged["assigned_to"], roi.facility, errors)
    if errors:
        raise ValidationError(errors)
    changed = [n for n in EDITABLE if getattr(roi, n) != merged[n]]
    for name in changed:
        setattr(roi, name, merged[name])
    if "received_on" in changed:
        roi.due_on = due_date(roi.facility, roi.received_on)
        changed.append("due_on")
    roi.purpose_detail = (roi.purpose_detail or "").strip()
    roi._change_reason = "request corrected"
    roi.save()
    if encounters is not None:
        before = set(roi.encounters.values_list("pk", flat=True))
        if before != {e.pk for e in encounters}:
            roi.encounters.set(encounters)
            changed.append("encounters")
    trail.record(
        trail.Action.UPDATE, obj=roi, reason="request corrected", detail={"changed": changed}
    )
    return roi


# Identity verification ---------------------------------------------------------------------


@transaction.atomic
def roi_request_verify_identity(
    *, roi: ROIRequest, method: str, user, verified_at: dt.datetime | None = None
) -> ROIRequest:
    """Record who verified the requester's identity, when and how."""
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    method = (method or "").strip()
    if not method:
        raise ValidationError({"method": "Say how identity was verified (e.g. photo ID seen)."})
    if not roi.is_open:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}; nothing to verify."
        )
    verified_at = verified_at or timezone.now()
    if verified_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"verified_at": "The verification cannot be in the future."})
    roi.identity_verified_by = user if getattr(user, "is_authenticated", False) else None
    roi.identity_verified_at = verified_at
    roi.identity_method = method[:120]
    roi._change_reason = "identity verified"
    roi.save(
        update_fields=[
            "identity_verified_by",
            "identity_verified_at",
            "identity_method",
            "updated_at",
        ]
    )
    trail.record(
        trail.Action.UPDATE, obj=roi, reason="identity verified", detail={"method": method[:120]}
    )
    return roi


# The one extension -----------------------------------------------------------------------


@transaction.atomic
def roi_request_extend(
    *,
    roi: ROIRequest,
    reason: str,
    new_due_on: dt.date,
    user,
    notice_on: dt.date | None = None,
) -> ROIRequest:
    """Extend once, by at most 30 days, with a written notice dated on or before the first
    due date stating the reason and the new date. Produces the notice (PDF)."""
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    if not roi.is_open:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}; it cannot be extended."
        )
    if roi.extended_due_on is not None:
        raise ValidationError(
            f"Request {roi.number} was already extended to {roi.extended_due_on:%Y-%m-%d}; "
            "the rule allows only one extension."
        )
    notice_on = notice_on or _today()
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for the delay; the written notice must state it."
    if notice_on > roi.due_on:
        errors["notice_on"] = (
            f"The first due date ({roi.due_on:%Y-%m-%d}) has passed: an extension needs a "
            "written notice sent before it, so this request can no longer be extended."
        )
    elif notice_on < roi.received_on:
        errors["notice_on"] = "The notice cannot be dated before the request was received."
    elif notice_on > _today():
        errors["notice_on"] = "The notice cannot be dated in the future."
    latest = roi.due_on + dt.timedelta(days=MAX_EXTENSION_DAYS)
    if new_due_on is None:
        errors["new_due_on"] = "Give the new due date the notice states."
    elif new_due_on <= roi.due_on:
        errors["new_due_on"] = f"The new due date must be after {roi.due_on:%Y-%m-%d}."
    elif new_due_on > latest:
        errors["new_due_on"] = (
            f"An extension is at most {MAX_EXTENSION_DAYS} days: the latest new due date is "
            f"{latest:%Y-%m-%d}."
        )
    if errors:
        raise ValidationError(errors)
    roi.extended_due_on = new_due_on
    roi.extension_reason = reason.strip()
    roi.extension_notice_on = notice_on
    roi._change_reason = "extended"
    roi.save(
        update_fields=["extended_due_on", "extension_reason", "extension_notice_on", "updated_at"]
    )
    from release_of_info.services import requests_letters

    requests_letters.store(
        roi=roi,
        kind=RequestLetter.Kind.EXTENSION_NOTICE,
        content=requests_letters.render(requests_letters.extension_notice(roi)),
        dated=notice_on,
        user=user,
    )
    trail.record(
        trail.Action.UPDATE,
        obj=roi,
        reason="request extended",
        detail={
            "notice_on": notice_on.isoformat(),
            "extended_due_on": new_due_on.isoformat(),
        },
    )
    return roi


# Letters ---------------------------------------------------------------------------------


def letter_open(*, letter: RequestLetter, user):
    """Open a stored letter; each download is an export in the trail."""
    if not letter.file or not letter.file.storage.exists(letter.file.name):
        raise FileNotFoundError("This letter's file is missing from storage.")
    trail.record(
        trail.Action.EXPORT,
        obj=letter.roi,
        detail={"letter": letter.kind, "letter_id": str(letter.public_id)},
    )
    return letter.file.open("rb")


# Facility settings -------------------------------------------------------------------------


@transaction.atomic
def roi_settings_update(
    *, facility: Facility, due_days: int, user, legal_basis: str = ""
) -> ROIFacilitySettings:
    """Set a facility's response limit; requests already logged keep their due date."""
    if due_days is None or not 1 <= int(due_days) <= DEFAULT_DUE_DAYS:
        raise ValidationError(
            {"due_days": f"Days to respond must be between 1 and {DEFAULT_DUE_DAYS} (HIPAA)."}
        )
    if int(due_days) < DEFAULT_DUE_DAYS and not (legal_basis or "").strip():
        raise ValidationError({"legal_basis": "Name the state law that sets the shorter limit."})
    row, _ = ROIFacilitySettings.objects.select_for_update().get_or_create(facility=facility)
    row.due_days = int(due_days)
    row.legal_basis = (legal_basis or "").strip()
    row.updated_by = user if getattr(user, "is_authenticated", False) else None
    row.save()
    return row


def settings_for(facility: Facility) -> ROIFacilitySettings:
    """The facility's row, or an unsaved one with the defaults."""
    return ROIFacilitySettings.objects.filter(facility=facility).first() or ROIFacilitySettings(
        facility=facility
    )


__all__ = [
    "S",
    "assignable_users",
    "days_left",
    "document_type_choices",
    "due_date",
    "due_days_for",
    "letter_open",
    "needs_identity_verification",
    "next_number",
    "roi_request_create",
    "roi_request_extend",
    "roi_request_update",
    "roi_request_verify_identity",
    "roi_settings_update",
    "settings_for",
]
