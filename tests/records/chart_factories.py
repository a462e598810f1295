"""Factories for the chart's models (identifiers, providers, encounters)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from records.demo import make_npi
from records.models import Encounter, IdentifierSystem, Patient, PatientIdentifier, Provider


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"C{200000 + n}")
    family_name = factory.Sequence(lambda n: f"Chart{n}")
    given_name = "Ada"
    birth_date = dt.date(1970, 5, 17)
    sex = Patient.Sex.FEMALE


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentifierSystem
        django_get_or_create = ("code",)

    code = "PAYER-ACME"
    name = "Acme Health Plan"
    kind = IdentifierSystem.Kind.INSURANCE


class IdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientIdentifier

    # Identifiers are named by their id: a distinctive one, so "not in the body" means it.
    id = factory.Sequence(lambda n: 9100001 + n)
    system = factory.SubFactory(SystemFactory)
    value = factory.Sequence(lambda n: f"MEM{500000 + n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    family_name = factory.Sequence(lambda n: f"Doc{n}")
    given_name = "Ren"
    credentials = "MD"
    npi = factory.Sequence(lambda n: make_npi(300000000 + n))


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    number = factory.Sequence(lambda n: f"V{700000 + n}")
    encounter_class = Encounter.Class.INPATIENT
    admit_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
