"""Writes on patients and their identifiers: demographics, SSN, restriction.

The checks a person can fix live here once; forms and serializers call
``patient_errors``/``identifier_errors`` to show them next to the fields, and
the write functions call them again so no path skips them.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from him import policy, trail
from him.models import Facility
from records.models import IdentifierSystem, Patient, PatientIdentifier

SSN_SHOWN = "SSN shown"
_NOT_ASSIGNED_AREAS = {"000", "666"}


def ssn_error(ssn: str) -> str | None:
    """Why ``ssn`` cannot be stored, or None (an empty value clears the SSN)."""
    digits = "".join(c for c in ssn or "" if c.isdigit())
    if not digits:
        return None
    if len(digits) != 9 or any(c not in "0123456789- " for c in ssn):
        return "An SSN has 9 digits, written 123-45-6789 or 123456789."
    # 9xx is left open: never issued as an SSN, so synthetic data uses it.
    if digits[:3] in _NOT_ASSIGNED_AREAS or digits[3:5] == "00":
        return "Not a valid SSN: that area or group number is never issued."
    if digits[5:] == "0000":
        return "Not a valid SSN: the serial number cannot be 0000."
    return None


def patient_errors(
    *,
    birth_date: dt.date | None,
    deceased_date: dt.date | None,
    confidentiality: str,
    restriction_reason: str,
    ssn: str | None = None,
) -> dict[str, str]:
    """Field name -> message for everything wrong with these values."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if birth_date and birth_date > today:
        errors["birth_date"] = "Birth date cannot be in the future."
    if deceased_date:
        if deceased_date > today:
            errors["deceased_date"] = "Deceased date cannot be in the future."
        elif birth_date and deceased_date < birth_date:
            errors["deceased_date"] = "Deceased date cannot be before the birth date."
    if confidentiality == Patient.Confidentiality.RESTRICTED and not restriction_reason:
        errors["restriction_reason"] = (
            "Restricting a patient needs a reason: VIP, employee, "
            "patient-requested restriction or legal."
        )
    if ssn:
        message = ssn_error(ssn)
        if message:
            errors["ssn"] = message
    return errors


def mrn_clash(*, facility: Facility | None, mrn: str | None, patient: Patient | None) -> bool:
    if not facility or not mrn:
        return False
    clash = Patient.objects.filter(facility=facility, mrn=mrn)
    if patient is not None and patient.pk:
        clash = clash.exclude(pk=patient.pk)
    return clash.exists()


def _check(patient: Patient, ssn: str | None) -> None:
    errors = patient_errors(
        birth_date=patient.birth_date,
        deceased_date=patient.deceased_date,
        confidentiality=patient.confidentiality,
        restriction_reason=patient.restriction_reason,
        ssn=ssn,
    )
    if mrn_clash(facility=patient.facility, mrn=patient.mrn, patient=patient):
        errors["mrn"] = "This MRN is already used at this facility."
    if errors:
        raise ValidationError(errors)


def _facility_mrn_system(facility_id: int) -> IdentifierSystem | None:
    return IdentifierSystem.objects.filter(
        facility_id=facility_id, kind=IdentifierSystem.Kind.MRN, active=True
    ).first()


@transaction.atomic
def patient_save(*, patient: Patient, ssn: str | None = None, user=None) -> Patient:
    """Create or update ``patient`` (fields already set on it).

    ``ssn``: None keeps the stored SSN, "" clears it, digits replace it.
    Whoever restricts a patient keeps access to them (a per-patient grant,
    written to the trail as a privilege change): otherwise the save would take
    the record out of their own reach and be refused.
    A normal patient keeps no restriction reason. A new patient gets the
    identifier of its facility's MRN system, and keeps it in step with ``mrn``.
    """
    if patient.confidentiality != Patient.Confidentiality.RESTRICTED:
        patient.restriction_reason = ""
    _check(patient, ssn)
    if ssn is not None:
        patient.set_ssn(ssn)
    old_mrn = None
    was_restricted = False
    if patient.pk:
        old_mrn, was_restricted = Patient.objects.filter(pk=patient.pk).values_list(
            "mrn", "confidentiality"
        ).first() or (None, None)
        was_restricted = was_restricted == Patient.Confidentiality.RESTRICTED
    patient.save()
    if patient.is_restricted and not was_restricted and getattr(user, "is_authenticated", False):
        from guardian.shortcuts import assign_perm

        assign_perm("records.view_restricted_patient", user, patient)
    system = _facility_mrn_system(patient.facility_id)
    if system is not None and old_mrn != patient.mrn:
        taken = PatientIdentifier.objects.filter(system=system, value=patient.mrn)
        if taken.exclude(patient=patient).exists():
            raise ValidationError(
                {"mrn": f"{system.code} {patient.mrn} is already assigned to another patient."}
            )
        mine = PatientIdentifier.objects.filter(patient=patient, system=system, value=old_mrn)
        if old_mrn and mine.exists():
            mine.update(value=patient.mrn)
        elif not taken.exists():
            PatientIdentifier.objects.create(patient=patient, system=system, value=patient.mrn)
    return patient


def patient_ssn_reveal(*, patient: Patient, user) -> str:
    """The full SSN, for a user whose role allows it; the showing is trailed."""
    if not policy.has_model_permission(user, Patient, "view") or not user.has_perm(
        "records.view_ssn"
    ):
        trail.record(
            trail.Action.DENIED,
            obj=patient,
            outcome=trail.Outcome.DENIED,
            reason="role lacks records.view_ssn",
        )
        raise PermissionError("Your role does not allow seeing full SSNs.")
    trail.record(trail.Action.READ, obj=patient, reason=SSN_SHOWN, detail={"field": "ssn"})
    return patient.ssn()


# Identifiers ------------------------------------------------------------------------------


def identifier_errors(
    *, user, patient: Patient | None, system: IdentifierSystem | None, value: str, pk=None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    value = (value or "").strip()
    if system is None:
        return errors
    if not system.active:
        errors["system"] = f"Identifier system {system.code} is no longer in use."
    elif system.facility_id and system.facility_id not in policy.facility_ids(user):
        errors["system"] = (
            f"{system.code} identifiers belong to a facility outside your access; "
            "someone at that facility assigns them."
        )
    if value:
        clash = PatientIdentifier.objects.filter(system=system, value=value)
        if pk is not None:
            clash = clash.exclude(pk=pk)
        if clash.exists():
            errors["value"] = f"{system.code} {value} is already assigned to a patient."
    return errors


@transaction.atomic
def identifier_add(
    *, user, patient: Patient, system: IdentifierSystem, value: str
) -> PatientIdentifier:
    value = (value or "").strip()
    errors = identifier_errors(user=user, patient=patient, system=system, value=value)
    if not value:
        errors["value"] = "Enter the identifier value."
    if errors:
        raise ValidationError(errors)
    return PatientIdentifier.objects.create(patient=patient, system=system, value=value)


@transaction.atomic
def identifier_update(*, user, identifier: PatientIdentifier, value: str) -> PatientIdentifier:
    value = (value or "").strip()
    errors = identifier_errors(
        user=user,
        patient=identifier.patient,
        system=identifier.system,
        value=value,
        pk=identifier.pk,
    )
    if not value:
        errors["value"] = "Enter the identifier value."
    if errors:
        raise ValidationError(errors)
    identifier.value = value
    identifier.save()
    return identifier
