"""Finding an encounter's coding through the access policy (pages and API alike).

Out of reach (another facility, a restricted patient, no such row) is one
answer, ``Http404``, with a not-found row in the trail; a role without the
model permission is ``PermissionDenied`` with a denial row.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404

from coding.models import EncounterCoding
from coding.services.encounters import coding_for
from him import policy, trail
from records.models import Encounter

_LABEL = "coding.encountercoding"


def _not_found(object_type: str, key) -> Http404:
    trail.record(
        trail.Action.READ,
        object_type=object_type,
        object_id=str(key).replace("\x00", "")[:64],
        outcome=trail.Outcome.NOT_FOUND,
    )
    return Http404("No such record, or it is outside your access.")


def require(user, action: str, path: str = "") -> None:
    """403 (and a denial row) when the role lacks the model permission for ``action``."""
    if policy.has_model_permission(user, EncounterCoding, action):
        return
    trail.record(
        trail.Action.DENIED,
        object_type=_LABEL,
        outcome=trail.Outcome.DENIED,
        reason=f"role lacks {policy.permission_name(EncounterCoding, action)}",
        detail={"path": path},
    )
    raise PermissionDenied("Your role does not allow this.")


def _uuid(key) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(key))
    except (ValueError, TypeError, AttributeError):
        return None


def _encounter_in_reach(user, encounter_id: int) -> bool:
    return Encounter.objects.visible_to(user, "view").filter(pk=encounter_id).exists()


def coding_by_public_id(user, public_id, action: str = "view") -> EncounterCoding:
    require(user, action)
    key = _uuid(public_id)
    coding = None
    if key is not None:
        coding = (
            EncounterCoding.objects.visible_to(user, action)
            .select_related("encounter", "encounter__patient", "encounter__facility")
            .filter(public_id=key)
            .first()
        )
    if coding is None or not _encounter_in_reach(user, coding.encounter_id):
        raise _not_found(_LABEL, public_id)
    return coding


def coding_by_encounter(user, encounter_public_id, action: str = "view") -> EncounterCoding:
    """The coding of an encounter in reach, created (not started) on first use."""
    require(user, action)
    key = _uuid(encounter_public_id)
    encounter = None
    if key is not None:
        encounter = Encounter.objects.visible_to(user, "view").filter(public_id=key).first()
    if encounter is None:
        raise _not_found("records.encounter", encounter_public_id)
    coding = coding_for(encounter)
    scoped = (
        EncounterCoding.objects.visible_to(user, action)
        .select_related("encounter", "encounter__patient", "encounter__facility")
        .filter(pk=coding.pk)
        .first()
    )
    if scoped is None:
        raise _not_found(_LABEL, coding.public_id)
    return scoped
