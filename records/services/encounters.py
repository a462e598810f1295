"""Writes on encounters that carry rules (discharge). The encounter screens and API
call these; the checks of who may reach the encounter stay in those views."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import trail
from records import hooks
from records.models import Encounter


@transaction.atomic
def encounter_discharge(
    *, encounter: Encounter, discharge_at: dt.datetime, disposition: str, user
) -> Encounter:
    """Discharge a patient: when, and where to (UB-04 patient status).

    Fires ``hooks.ENCOUNTER_DISCHARGED`` (deficiencies are evaluated from there).
    """
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    errors = {}
    if encounter.status == Encounter.Status.CANCELLED:
        raise ValidationError("This encounter was cancelled; it cannot be discharged.")
    if discharge_at is None:
        errors["discharge_at"] = "Give the discharge date and time."
    elif timezone.is_naive(discharge_at):
        discharge_at = timezone.make_aware(discharge_at)
    if discharge_at is not None and discharge_at < encounter.admit_at:
        admitted = timezone.localtime(encounter.admit_at).strftime("%Y-%m-%d %H:%M")
        errors["discharge_at"] = (
            f"The discharge cannot be before the admission ({admitted}); check the date and time."
        )
    if disposition not in Encounter.Disposition.values:
        errors["disposition"] = "Choose a discharge disposition (UB-04 patient status code)."
    if errors:
        raise ValidationError(errors)
    previous = encounter.status
    encounter.discharge_at = discharge_at
    encounter.discharge_disposition = disposition
    encounter.status = Encounter.Status.DISCHARGED
    encounter.save(update_fields=["discharge_at", "discharge_disposition", "status", "updated_at"])
    trail.record(
        trail.Action.UPDATE,
        obj=encounter,
        reason="discharged",
        detail={"from": previous, "disposition": disposition},
    )
    hooks.fire(hooks.ENCOUNTER_DISCHARGED, encounter=encounter)
    return encounter
