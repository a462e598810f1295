"""Demo data of the release part: a few disclosures made outside ROI (synthetic)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from records.models import Patient
from release_of_info.models import Disclosure

_MADE = [
    (
        "State Department of Public Health",
        "Laboratory results (reportable condition)",
        "Mandatory reporting of a notifiable disease",
        Disclosure.Basis.PUBLIC_HEALTH,
    ),
    (
        "County Medical Examiner",
        "Emergency department record of the last visit",
        "Death investigation",
        Disclosure.Basis.DECEDENTS,
    ),
    (
        "State Cancer Registry",
        "Pathology report and treatment summary",
        "Cancer registry reporting required by state law",
        Disclosure.Basis.REQUIRED_BY_LAW,
    ),
    (
        "City Police Department, Detective Unit",
        "Emergency department record of one visit",
        "Response to an administrative request under 164.512(f)(1)",
        Disclosure.Basis.LAW_ENFORCEMENT,
    ),
]


def seed(*, facilities, patients_per_facility: int = 40, rng_seed: int = 7, **_) -> None:
    rng = random.Random(rng_seed + 528)
    today = timezone.localdate()
    for facility in facilities:
        if Disclosure.objects.filter(facility=facility).exists():
            continue
        patients = list(Patient.objects.filter(facility=facility).order_by("pk")[:6])
        for patient in patients:
            recipient, what, why, basis = rng.choice(_MADE)
            Disclosure.objects.create(
                patient=patient,
                facility=facility,
                source=Disclosure.Source.MANUAL,
                disclosed_on=today - dt.timedelta(days=rng.randint(10, 900)),
                recipient_name=recipient,
                description=what,
                purpose=why,
                basis=basis,
            )
