"""Factories for chart-completion tests: synthetic patients, providers, encounters."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.utils import timezone

from him.models import Facility
from records.models import Deficiency, Encounter, Patient, Provider
from records.models.providers import npi_with_check_digit

_npi_numbers = itertools.count(100000001)


def valid_npi(base: int) -> str:
    """A 10-digit NPI with a correct check digit."""
    return npi_with_check_digit(f"{base:09d}"[-9:])


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    facility = factory.Iterator(Facility.objects.all())
    mrn = factory.Sequence(lambda n: f"D{200000 + n}")
    family_name = factory.Sequence(lambda n: f"Chart{n}")
    given_name = "Sam"
    birth_date = dt.date(1961, 3, 9)
    sex = Patient.Sex.UNKNOWN


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    family_name = factory.Sequence(lambda n: f"Doctor{n}")
    given_name = "Pat"
    credentials = "MD"
    npi = factory.LazyFunction(lambda: valid_npi(next(_npi_numbers)))


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    number = factory.Sequence(lambda n: f"V{500000 + n}")
    patient = factory.SubFactory(PatientFactory)
    facility = factory.LazyAttribute(lambda o: o.patient.facility)
    encounter_class = Encounter.Class.INPATIENT
    admit_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    attending = factory.SubFactory(ProviderFactory)


class DeficiencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deficiency

    encounter = factory.SubFactory(EncounterFactory)
    kind = Deficiency.Kind.MISSING_DOCUMENT
    doc_type = "discharge"
    provider = factory.LazyAttribute(lambda o: o.encounter.attending)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
