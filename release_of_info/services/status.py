"""The request's status: which moves are allowed, and the one function that makes them.

Every part of the app moves a request through ``roi_request_set_status`` (the
packet build puts it in quality check, the release marks it released...), so
the allowed moves, the reasons they need and the trail row live in one place.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import trail
from release_of_info.models import ROIRequest

S = ROIRequest.Status

_WORKING = {S.LOGGED, S.VALIDATING, S.PENDING_AUTHORIZATION, S.IN_PROCESS, S.ON_HOLD}
_STOPS = {S.ON_HOLD, S.DENIED, S.CANCELLED}

ALLOWED: dict[str, set[str]] = {
    S.LOGGED: {S.VALIDATING, S.PENDING_AUTHORIZATION, S.IN_PROCESS} | _STOPS,
    S.VALIDATING: {S.PENDING_AUTHORIZATION, S.IN_PROCESS} | _STOPS,
    S.PENDING_AUTHORIZATION: {S.VALIDATING, S.IN_PROCESS} | _STOPS,
    S.IN_PROCESS: {S.PENDING_AUTHORIZATION, S.QUALITY_CHECK} | _STOPS,
    S.QUALITY_CHECK: {S.IN_PROCESS, S.RELEASED} | _STOPS,
    S.ON_HOLD: (_WORKING - {S.ON_HOLD}) | {S.DENIED, S.CANCELLED},
    S.RELEASED: set(),
    S.DENIED: set(),
    S.CANCELLED: set(),
}

NEEDS_REASON = {S.ON_HOLD, S.DENIED, S.CANCELLED}


def allowed_next(roi: ROIRequest) -> list[str]:
    return [s for s in S.values if s in ALLOWED.get(roi.status, set())]


@transaction.atomic
def roi_request_set_status(*, roi: ROIRequest, status: str, user, reason: str = "") -> ROIRequest:
    """Move ``roi`` to ``status``; a move the workflow does not allow is refused by name."""
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    if status not in S.values:
        raise ValidationError(f"“{status}” is not a request status.")
    previous = roi.status
    if status == previous:
        return roi
    if status not in ALLOWED.get(previous, set()):
        if previous in ROIRequest.CLOSED:
            raise ValidationError(
                f"Request {roi.number} is {roi.get_status_display().lower()}; it cannot change."
            )
        raise ValidationError(
            f"A request that is {roi.get_status_display().lower()} cannot move to "
            f"{S(status).label.lower()}."
        )
    reason = (reason or "").strip()
    if status in NEEDS_REASON and not reason:
        raise ValidationError(f"Give the reason the request is {S(status).label.lower()}.")
    now = timezone.now()
    roi.status = status
    fields = ["status", "updated_at"]
    if status in NEEDS_REASON:
        roi.status_reason = reason
        fields.append("status_reason")
    if status == S.RELEASED:
        roi.released_at = now
        fields.append("released_at")
    if status in ROIRequest.CLOSED:
        roi.closed_at = now
        fields.append("closed_at")
    roi._change_reason = reason or f"{previous} -> {status}"
    roi.save(update_fields=fields)
    trail.record(
        trail.Action.UPDATE,
        obj=roi,
        reason=reason or "status changed",
        detail={"from": previous, "to": status},
    )
    if status == S.DENIED:
        # However the denial came about, the requester gets the letter with their rights.
        from release_of_info.services.requests_letters import produce_denial_letter

        produce_denial_letter(roi=roi, user=user)
    return roi
