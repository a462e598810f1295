"""Writes on encounters: register, change, discharge.

Discharge is an update that moves the status to discharged; it fires
``hooks.ENCOUNTER_DISCHARGED`` once, on that change, inside the transaction
(the deficiencies part listens). Any other change fires ``ENCOUNTER_CHANGED``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import policy
from him.models import Facility
from records import hooks
from records.models import Encounter, Patient, Provider

Status = Encounter.Status

# A clock a few minutes off should not stop a discharge typed "now".
_CLOCK_SKEW = dt.timedelta(minutes=5)


def encounter_errors(
    *,
    user,
    facility: Facility | None,
    patient: Patient | None,
    number: str,
    admit_at: dt.datetime | None,
    discharge_at: dt.datetime | None,
    status: str,
    discharge_disposition: str,
    pk: int | None = None,
) -> dict[str, str]:
    """Field name -> message for everything wrong with these values."""
    errors: dict[str, str] = {}
    if facility is not None and facility.pk not in policy.facility_ids(user):
        errors["facility"] = (
            f"Facility {facility.code} is outside the facilities you can reach: "
            "choose one of yours."
        )
    if patient is not None and not policy.can(user, "view", patient):
        errors["patient"] = "No such patient, or the patient is outside your access."
    if facility is not None and number:
        clash = Encounter.objects.filter(facility=facility, number=number)
        if pk is not None:
            clash = clash.exclude(pk=pk)
        if clash.exists():
            errors["number"] = f"Visit number {number} is already used at {facility.code}."
    if discharge_at is not None:
        if admit_at is not None and discharge_at < admit_at:
            errors["discharge_at"] = "Discharge cannot be before admission."
        elif discharge_at > timezone.now() + _CLOCK_SKEW:
            errors["discharge_at"] = "Discharge cannot be in the future."
        elif status == Status.ADMITTED:
            errors["status"] = (
                "A discharge time is set: set the status to discharged, or clear the time."
            )
    if status == Status.DISCHARGED:
        if discharge_at is None:
            errors.setdefault("discharge_at", "A discharged encounter needs the discharge time.")
        if not discharge_disposition:
            errors["discharge_disposition"] = (
                "Choose the discharge disposition (UB-04 patient status)."
            )
    return errors


def _check(encounter: Encounter, user) -> None:
    errors = encounter_errors(
        user=user,
        facility=encounter.facility,
        patient=encounter.patient,
        number=encounter.number,
        admit_at=encounter.admit_at,
        discharge_at=encounter.discharge_at,
        status=encounter.status,
        discharge_disposition=encounter.discharge_disposition,
        pk=encounter.pk,
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def encounter_save(
    *, encounter: Encounter, user, other_providers: list[Provider] | None = None
) -> Encounter:
    """Create or update ``encounter`` (fields already set on it).

    ``other_providers``: None keeps them; a list replaces them.
    """
    _check(encounter, user)
    was = None
    if encounter.pk:
        was = Encounter.objects.filter(pk=encounter.pk).values_list("status", flat=True).first()
    encounter.save()
    if other_providers is not None:
        encounter.other_providers.set(other_providers)
    if encounter.status == Status.DISCHARGED and was != Status.DISCHARGED:
        hooks.fire(hooks.ENCOUNTER_DISCHARGED, encounter=encounter)
    elif was is not None:
        hooks.fire(hooks.ENCOUNTER_CHANGED, encounter=encounter)
    return encounter


def encounter_discharge(
    *, encounter: Encounter, user, discharge_at: dt.datetime, disposition: str
) -> Encounter:
    """Discharge an admitted encounter. One service owns discharge (its checks, trail
    row and hook): records.services.encounters.encounter_discharge."""
    from records.services.encounters import encounter_discharge as discharge

    if encounter.status != Status.ADMITTED:
        raise ValidationError(
            {
                "status": f"Only an admitted encounter can be discharged; this one is {encounter.status}."
            }
        )
    discharge(encounter=encounter, discharge_at=discharge_at, disposition=disposition, user=user)
    encounter.refresh_from_db()  # callers keep using the instance they passed
    return encounter
