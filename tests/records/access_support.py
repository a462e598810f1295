"""Factories and helpers shared by the restricted-records and break-the-glass tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import Permission
from guardian.shortcuts import assign_perm

from him import policy
from records.models import Document, Encounter, Patient

_n = itertools.count(1)


def patient(facility, *, restricted: bool = False, **fields) -> Patient:
    n = next(_n)
    values = {
        "facility": facility,
        "mrn": f"R{n:06d}",
        "family_name": f"Rfamily{n}",
        "given_name": "Vera",
        "birth_date": dt.date(1960, 1, 2),
        "sex": "F",
    }
    if restricted:
        values.update(confidentiality="restricted", restriction_reason="vip")
    values.update(fields)
    return Patient.objects.create(**values)


def encounter(p: Patient) -> Encounter:
    return Encounter.objects.create(
        number=f"V{next(_n)}",
        patient=p,
        facility=p.facility,
        encounter_class="outpatient",
        admit_at=dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC),
    )


def document(p: Patient, sensitivity: int = 0) -> Document:
    return Document.objects.create(
        patient=p,
        facility=p.facility,
        doc_type="progress",
        service_date=dt.date(2025, 1, 2),
        sensitivity=sensitivity,
    )


def give(user, *codenames: str) -> None:
    """Model permissions granted directly to a user (e.g. a document category)."""
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="records", codename=codename)
        )
    policy.forget(user)


def grant_patient(user_or_group, p: Patient) -> None:
    assign_perm("records.view_restricted_patient", user_or_group, p)


def grant_document(user_or_group, d: Document) -> None:
    assign_perm("records.view_sensitive_document", user_or_group, d)


def can_view(user, obj) -> bool:
    policy.forget(user)
    return policy.can(user, "view", obj)
