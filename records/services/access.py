"""Break-the-glass and grants on restricted patients and sensitive documents.

Every change here writes its own trail row: break-the-glass as
``Action.BREAK_GLASS`` with the reason, reviews as an update of the access,
grants and removals as privilege changes naming the patient (so the trail
viewer's patient filter finds them).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from him import policy, trail
from him.models import User
from records import access
from records.models import BreakGlassAccess, Document, Patient
from records.models.access import break_glass_hours

Action = trail.Action
Outcome = trail.Outcome
ReviewStatus = BreakGlassAccess.ReviewStatus

# One answer for "no such patient" and "not in your facilities": the dialog
# must not tell a user that a record exists somewhere they cannot reach.
NO_MATCH = (
    "No patient with that enterprise id or MRN was found in the facilities you can reach. "
    "Check the number and try again."
)


class AlreadyReachable(Exception):
    """The user can open the record without breaking the glass."""

    def __init__(self, patient: Patient) -> None:
        super().__init__(patient.enterprise_id)
        self.patient = patient


def _reason(code: str, text: str) -> str:
    return f"{BreakGlassAccess.ReasonCode(code).label}: {text}"


def _candidates(user, identifier: str) -> list[Patient]:
    by_identifier = Q(identifiers__value__iexact=identifier) & Q(identifiers__system__kind="mrn")
    return list(
        Patient.objects.filter(facility__in=policy.facility_ids(user))
        .filter(Q(enterprise_id__iexact=identifier) | Q(mrn__iexact=identifier) | by_identifier)
        .distinct()
        .order_by("pk")
    )


def breakglass_request(
    *, user: User, identifier: str, reason_code: str, reason_text: str
) -> BreakGlassAccess:
    """Open a restricted patient's record for ``BREAK_GLASS_HOURS`` with a stated reason.

    Raises ValidationError (nothing saved) for a missing reason or an identifier
    that names no restricted patient in the user's facilities (NO_MATCH, the same
    whether the patient does not exist or lies elsewhere); AlreadyReachable when
    no emergency access is needed; PermissionDenied when the role may not.
    """
    if not (
        policy.has_model_permission(user, BreakGlassAccess, "add")
        and policy.has_model_permission(user, Patient, "view")
    ) or policy.needs_second_factor(user):
        raise PermissionDenied("Your role does not allow emergency access.")
    identifier = (identifier or "").strip()
    reason_text = (reason_text or "").strip()
    errors = {}
    if not identifier:
        errors["identifier"] = "Enter the patient's enterprise id or MRN."
    if reason_code not in BreakGlassAccess.ReasonCode.values:
        errors["reason_code"] = "Choose the reason for emergency access."
    if not reason_text:
        errors["reason_text"] = "Explain why you need emergency access; it is required."
    if errors:
        raise ValidationError(errors)
    candidates = _candidates(user, identifier)
    reachable = set(
        Patient.objects.visible_to(user)
        .filter(pk__in=[p.pk for p in candidates])
        .values_list("pk", flat=True)
    )
    locked = [p for p in candidates if p.pk not in reachable]
    if not locked:
        if candidates:
            raise AlreadyReachable(candidates[0])
        trail.record(
            Action.BREAK_GLASS,
            object_type="records.patient",
            outcome=Outcome.NOT_FOUND,
            reason=_reason(reason_code, reason_text),
            detail={"identifier": identifier[:64]},
        )
        raise ValidationError({"identifier": NO_MATCH})
    if len(locked) > 1:
        raise ValidationError(
            {"identifier": "Several patients have that MRN: enter the enterprise id instead."}
        )
    return _grant_break_glass(
        user=user,
        patient=locked[0],
        identifier=identifier,
        reason_code=reason_code,
        reason_text=reason_text,
    )


@transaction.atomic
def _grant_break_glass(
    *, user: User, patient: Patient, identifier: str, reason_code: str, reason_text: str
) -> BreakGlassAccess:
    now = timezone.now()
    grant = BreakGlassAccess.objects.create(
        user=user,
        patient=patient,
        identifier=identifier[:64],
        reason_code=reason_code,
        reason_text=reason_text,
        started_at=now,
        expires_at=now + timedelta(hours=break_glass_hours()),
    )
    trail.record(
        Action.BREAK_GLASS,
        obj=patient,
        user=user,
        reason=_reason(reason_code, reason_text),
        detail={
            "break_glass": str(grant.public_id),
            "reason_code": reason_code,
            "expires_at": grant.expires_at.isoformat(),
        },
    )
    return grant


@transaction.atomic
def breakglass_review(
    *, access_row: BreakGlassAccess, reviewer: User, status: str, note: str
) -> BreakGlassAccess:
    """The privacy officer closes (reviewed) or escalates one emergency access."""
    note = (note or "").strip()
    if status not in (ReviewStatus.REVIEWED, ReviewStatus.ESCALATED):
        raise ValidationError({"status": "Choose reviewed or escalated."})
    if status == ReviewStatus.ESCALATED and not note:
        raise ValidationError({"note": "Say why this access is escalated."})
    row = BreakGlassAccess.objects.select_for_update().get(pk=access_row.pk)
    if row.user_id == reviewer.pk:
        raise ValidationError("You cannot review your own emergency access.")
    if row.review_status == ReviewStatus.REVIEWED:
        raise ValidationError("This access was already reviewed.")
    previous = row.review_status
    row.review_status = status
    row.reviewed_by = reviewer
    row.reviewed_at = timezone.now()
    row.review_note = note
    row.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
    trail.record(
        Action.UPDATE,
        obj=row,
        reason=f"break-the-glass {status}" + (f": {note}" if note else ""),
        detail={"from": previous, "review_status": status},
    )
    return row


# Grants ----------------------------------------------------------------------------------


def grant_trail(grant, *, granted: bool, via: str = "") -> None:
    """One privilege row for a per-patient or per-document grant or its removal."""
    target = getattr(grant, "content_object_id", None)
    is_patient = grant._meta.model_name.startswith("patient")
    obj = (Patient if is_patient else Document).objects.filter(pk=target).first()
    if getattr(grant, "user_id", None) is not None:
        who = ("him.user", grant.user_id)
    else:
        who = ("auth.group", grant.group_id)
    kind = "restricted patient access" if is_patient else "sensitive document access"
    detail = {"permission": grant.permission.codename}
    if obj is not None:
        detail["patient" if is_patient else "document"] = obj.public_ref
    if via:
        detail["via"] = via
    trail.record(
        Action.PRIVILEGE,
        object_type=who[0],
        object_id=str(who[1]),
        patient_id=policy.patient_id_of(obj) if obj is not None else None,
        facility_id=policy.facility_id_of(obj) if obj is not None else None,
        reason=f"{kind} {'granted' if granted else 'removed'}",
        detail=detail,
    )


def _assign(permission: str, grantee: User | Group, obj) -> None:
    with access.service_writing():
        grant = assign_perm(permission, grantee, obj)
    grant_trail(grant, granted=True)
    if isinstance(grantee, User):
        policy.forget(grantee)


def _remove(grant) -> None:
    with access.service_writing():
        grant.delete()
    grant_trail(grant, granted=False)


@transaction.atomic
def patient_grant_add(*, patient: Patient, grantee: User | Group, by: User):
    """Let ``grantee`` open restricted ``patient``'s record."""
    _check_manager(by, "patient")
    _assign(f"records.{access.RESTRICTED_PERMISSION}", grantee, patient)


@transaction.atomic
def patient_grant_remove(*, grant, by: User) -> None:
    _check_manager(by, "patient", "delete")
    _remove(grant)


@transaction.atomic
def document_grant_add(*, document: Document, grantee: User | Group, by: User):
    """Let ``grantee`` see sensitive ``document`` whatever its categories."""
    _check_manager(by, "document")
    _assign(f"records.{access.DOCUMENT_PERMISSION}", grantee, document)


@transaction.atomic
def document_grant_remove(*, grant, by: User) -> None:
    _check_manager(by, "document", "delete")
    _remove(grant)


def _check_manager(user: User, kind: str, action: str = "add") -> None:
    if not user.has_perm(f"records.{action}_{kind}userobjectpermission"):
        raise PermissionDenied("Your role does not allow managing access grants.")
