"""Helpers for the queue part's tests: charts discharged N days ago, coders,
providers with (or without) a user account, queries in each state."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import coding_factories as cf
from django.utils import timezone

from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.services import queue_queries as queries
from coding.services.encounters import coding_for
from him import roles
from him.testing.factories import UserFactory
from records.models import Provider
from records.models.providers import npi_with_check_digit

_n = itertools.count(1)

INDICATORS = (
    "Hemoglobin 11.9 g/dL on admission, 8.2 g/dL on day 2 (lab results); "
    "1 unit packed red cells on day 2 (nursing notes)."
)


def chart(facility, *, days_ago: int | None = 3, inpatient: bool = True, **fields):
    """An encounter of a new patient, discharged ``days_ago`` days ago (None: admitted)."""
    discharged = None if days_ago is None else timezone.localdate() - dt.timedelta(days=days_ago)
    return cf.encounter(cf.patient(facility), inpatient=inpatient, discharged=discharged, **fields)


def coder(username: str, *facilities):
    return UserFactory(username=username, roles=[roles.CODER], facilities=list(facilities))


def provider(*, user=None, facility=None, username: str = "", facilities=()) -> Provider:
    """A provider; with ``username``, linked to a new physician user granted the facilities."""
    n = next(_n)
    if user is None and username:
        granted = [facility] if facility else list(facilities)
        user = UserFactory(username=username, roles=[roles.PHYSICIAN], facilities=granted)
    return Provider.objects.create(
        family_name=f"Doc{n}",
        given_name="Pat",
        credentials="MD",
        npi=npi_with_check_digit(f"{700000000 + n:09d}"),
        user=user,
    )


def template(key: str = "anemia-type") -> QueryTemplate:
    return QueryTemplate.objects.get(key=key)


def coding_of(encounter, **fields) -> EncounterCoding:
    coding = coding_for(encounter)
    for name, value in fields.items():
        setattr(coding, name, value)
    if fields:
        coding.save()
    return coding


def draft_query(coding: EncounterCoding, prov: Provider, *, user=None, **kwargs) -> PhysicianQuery:
    values = {"template": template(), "clinical_indicators": INDICATORS}
    values.update(kwargs)
    return queries.query_create(coding=coding, provider=prov, user=user, **values)


def sent_query(coding, prov, *, user=None, **kwargs) -> PhysicianQuery:
    return queries.query_send(query=draft_query(coding, prov, user=user, **kwargs), user=user)


def finalize(coding: EncounterCoding, user, *, drg: str = "", weight: str | None = None):
    """What the workspace's finalize does, as far as this part cares."""
    coding.status = EncounterCoding.Status.FINAL
    coding.finalized_at = timezone.now()
    coding.finalized_by = user
    if drg:
        coding.final_drg = drg
    if weight is not None:
        coding.final_weight = Decimal(weight)
    coding.save()
    return coding
