"""The authfees demo seed: fee set-up always; authorizations, valid and not, for demo requests."""

from __future__ import annotations

import pytest
from r_authfees_support import access_request, make_request

from him.testing.factories import FacilityFactory
from release_of_info.authfees_demo import seed_authfees
from release_of_info.models import Authorization, FeePolicy, FeeSchedule
from release_of_info.services.authorization import verdict

pytestmark = pytest.mark.django_db


def test_seed_without_requests_adds_the_fee_set_up_only():
    facilities = [FacilityFactory(code="DEMO1"), FacilityFactory(code="DEMO2")]
    seed_authfees(facilities=facilities)
    assert FeePolicy.objects.count() == 2
    assert FeeSchedule.objects.count() == 8
    assert not Authorization.objects.exists()


def test_seed_gives_requests_valid_and_invalid_authorizations_once():
    facility = FacilityFactory(code="DEMO1")
    requests = [make_request(facility) for _ in range(3)]
    mine = access_request(facility)
    seed_authfees(facilities=[facility])
    seed_authfees(facilities=[facility])  # idempotent
    assert Authorization.objects.count() == 3
    assert not Authorization.objects.filter(request=mine).exists()
    valid = [verdict(r).valid for r in requests]
    assert valid.count(True) == 1 and valid.count(False) == 2
