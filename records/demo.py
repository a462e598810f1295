"""The records part of the demo data set (registered with him.demo from RecordsConfig.ready).

Identifier systems (one MRN system per facility, two payers), a few providers,
patients with MRN identifiers and synthetic SSNs (area 9xx, never issued), and
encounters. Synthetic only; idempotent.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from him.models import Facility, User
from records.models import Encounter, IdentifierSystem, Patient, PatientIdentifier, Provider
from records.models.providers import npi_with_check_digit

PAYERS = [("PAYER-ACME", "Acme Health Plan"), ("PAYER-BLUERIVER", "Blue River Insurance")]

_FAMILY = [
    "Alder", "Brook", "Castell", "Dunmore", "Ellery", "Fairbank", "Garrow", "Hollis",
    "Iverson", "Jessop", "Kettering", "Lowell", "Marsh", "Norwood", "Oakes", "Pembry",
]  # fmt: skip
_GIVEN = [
    "Ada", "Basil", "Cora", "Dmitri", "Elsa", "Farid", "Greta", "Hugo",
    "Ines", "Jonah", "Kira", "Leon", "Maren", "Nico", "Opal", "Pavel",
]  # fmt: skip
_PROVIDERS = [
    ("Hart", "Felix", "MD", "Internal medicine", "physician"),
    ("Quill", "Renata", "MD", "General surgery", None),
    ("Sato", "Ken", "DO", "Emergency medicine", None),
    ("Vance", "Lila", "NP", "Family medicine", None),
]


def make_npi(prefix: int) -> str:
    """A valid NPI (check digit) from a 9-digit prefix."""
    return npi_with_check_digit(f"{prefix:09d}")


def seed_identifier_systems(facilities: list[Facility]) -> None:
    for facility in facilities:
        IdentifierSystem.objects.get_or_create(
            code=f"MRN-{facility.code}",
            defaults={
                "name": f"{facility.name} medical record numbers",
                "kind": IdentifierSystem.Kind.MRN,
                "facility": facility,
            },
        )
    for code, name in PAYERS:
        IdentifierSystem.objects.get_or_create(
            code=code, defaults={"name": name, "kind": IdentifierSystem.Kind.INSURANCE}
        )


def seed_providers() -> list[Provider]:
    providers = []
    for n, (family, given, credentials, specialty, username) in enumerate(_PROVIDERS):
        provider, _ = Provider.objects.get_or_create(
            npi=make_npi(123456700 + n * 11),
            defaults={
                "family_name": family,
                "given_name": given,
                "credentials": credentials,
                "specialty": specialty,
                "user": User.objects.filter(username=username).first() if username else None,
            },
        )
        providers.append(provider)
    return providers


def seed_records(
    *, facilities: list[Facility], patients_per_facility: int = 40, rng_seed: int = 7
) -> None:
    seed_identifier_systems(facilities)
    providers = seed_providers()
    payers = list(IdentifierSystem.objects.filter(code__in=[c for c, _ in PAYERS]))
    rng = random.Random(rng_seed)
    now = timezone.now()
    for facility in facilities:
        mrn_system = IdentifierSystem.objects.get(code=f"MRN-{facility.code}")
        have = Patient.objects.filter(facility=facility).count()
        for n in range(have, patients_per_facility):
            patient = Patient(
                facility=facility,
                mrn=f"{facility.code[:1]}{100000 + n}",
                family_name=rng.choice(_FAMILY),
                given_name=rng.choice(_GIVEN),
                birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000)),
                sex=rng.choice(["F", "M", "F", "M", "U"]),
                city="Riverside",
                state="CA",
                postal_code=f"9{rng.randrange(2000, 2999)}",
                phone=f"555-01{rng.randrange(10, 99)}",
            )
            patient.set_ssn(
                f"9{rng.randrange(10, 99)}{rng.randrange(10, 99)}{rng.randrange(1000, 9999)}"
            )
            patient.save()
            PatientIdentifier.objects.create(patient=patient, system=mrn_system, value=patient.mrn)
            if payers and rng.random() < 0.7:
                PatientIdentifier.objects.get_or_create(
                    system=rng.choice(payers),
                    value=f"{facility.code[:1]}{rng.randrange(10**8, 10**9)}",
                    defaults={"patient": patient},
                )
            for k in range(rng.randint(1, 3)):
                _seed_encounter(rng, now, facility, patient, providers, f"V{patient.mrn}-{k}")


def _seed_encounter(rng, now: datetime, facility, patient, providers, number: str) -> None:
    kind = rng.choice(list(Encounter.Class))
    admit = now - timedelta(days=rng.randrange(1, 400), hours=rng.randrange(0, 24))
    stay = (
        timedelta(days=rng.randint(1, 9))
        if kind == Encounter.Class.INPATIENT
        else timedelta(hours=rng.randint(1, 20))
    )
    discharged = admit + stay < now and rng.random() < 0.9
    Encounter.objects.get_or_create(
        facility=facility,
        number=number,
        defaults={
            "patient": patient,
            "encounter_class": kind,
            "admit_at": admit,
            "discharge_at": admit + stay if discharged else None,
            "admit_source": rng.choice(["1", "2", "4", "9"]),
            "discharge_disposition": rng.choice(["01", "01", "06", "03"]) if discharged else "",
            "attending": rng.choice(providers) if providers else None,
            "status": Encounter.Status.DISCHARGED if discharged else Encounter.Status.ADMITTED,
        },
    )
