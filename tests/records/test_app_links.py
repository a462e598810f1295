"""Other apps' links on the chart and the encounter page follow the user's role."""

import pytest
from access_support import encounter, patient

from him import roles
from him.testing.factories import FacilityFactory, UserFactory
from him.testing.personas import web_client
from records import links

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(links, "_links", {})
    links.register(
        links.Link(
            "t-roi",
            links.PATIENT,
            "Ask for records",
            "records.view_ssn",
            lambda p: f"/x/{p.enterprise_id}/",
        )
    )
    links.register(
        links.Link("t-code", links.ENCOUNTER, "Code it", "records.view_encounter", lambda e: None)
    )


def test_a_link_shows_only_for_roles_holding_its_permission(registered):
    facility = FacilityFactory()
    p = patient(facility)
    roi = UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility])
    coder = UserFactory(roles=[roles.CODER], facilities=[facility])
    url = f"/records/patients/{p.enterprise_id}/"
    assert f"/x/{p.enterprise_id}/".encode() in web_client(roi).get(url).content
    assert b"Ask for records" not in web_client(coder).get(url).content


def test_a_link_whose_url_is_none_is_hidden(registered):
    facility = FacilityFactory()
    e = encounter(patient(facility))
    coder = UserFactory(roles=[roles.CODER], facilities=[facility])
    page = web_client(coder).get(f"/records/encounters/{e.public_id}/")
    assert page.status_code == 200 and b"Code it" not in page.content
