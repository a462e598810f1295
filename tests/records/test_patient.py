"""Patients: the policy contract, plus search and the errors a person can fix."""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.utils import timezone

from him.models import Facility
from him.testing.mixins import PolicyContract, error_message, results, snapshot
from him.testing.personas import api_client, web_client
from records.models import Patient

LIST = "/records/patients/"
API_LIST = "/api/v1/records/patients/"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    facility = factory.Iterator(Facility.objects.all())
    mrn = factory.Sequence(lambda n: f"M{100000 + n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    given_name = "Ada"
    birth_date = dt.date(1970, 5, 17)
    sex = Patient.Sex.FEMALE


class TestPatientContract(PolicyContract):
    model = Patient
    list_url = LIST
    create_url = "/records/patients/add/"
    api_list_url = API_LIST

    def make(self, facility):
        return PatientFactory(facility=facility)

    def detail_url(self, obj):
        return f"/records/patients/{obj.enterprise_id}/"

    def update_url(self, obj):
        return f"/records/patients/{obj.enterprise_id}/edit/"

    def api_detail_url(self, obj):
        return f"{API_LIST}{obj.enterprise_id}/"

    def create_payload(self, facility):
        return {
            "facility": facility.code,
            "mrn": "NEW-1",
            "family_name": "Newcombe",
            "given_name": "Nora",
            "birth_date": "1988-02-29",
            "sex": "F",
        }

    def update_payload(self, obj):
        return {"family_name": f"{obj.family_name}-Renamed"}

    def form_data(self, facility, obj=None):
        if obj is None:
            data = self.create_payload(facility)
            data["facility"] = facility.pk
            return data
        return {
            "facility": facility.pk,
            "mrn": obj.mrn,
            "family_name": f"{obj.family_name}-Renamed",
            "given_name": obj.given_name,
            "birth_date": obj.birth_date.isoformat(),
            "sex": obj.sex,
        }

    def search_params(self, obj):
        return {"q": obj.family_name}


# Search ---------------------------------------------------------------------------------


@pytest.fixture
def people(personas):
    facility = personas.facility
    return {
        "ada": PatientFactory(facility=facility, family_name="Lovelace", given_name="Ada"),
        "alan": PatientFactory(facility=facility, family_name="Turing", given_name="Alan"),
        "grace": PatientFactory(
            facility=facility, family_name="Hopper", given_name="Grace", mrn="H-42"
        ),
        "elsewhere": PatientFactory(
            facility=personas.other_facility, family_name="Lovelace", given_name="Ada"
        ),
    }


def found(personas, **params) -> set[str]:
    response = api_client(personas.writer).get(API_LIST, params)
    assert response.status_code == 200
    return {row["enterprise_id"] for row in results(response)}


@pytest.mark.parametrize("text", ["Love", "love", "LOVELACE", "Ada", "lovelace ada", "Lovelace, A"])
def test_search_by_name_prefix(personas, people, text):
    assert found(personas, q=text) == {people["ada"].enterprise_id}


def test_search_by_mrn_and_enterprise_id(personas, people):
    assert found(personas, q="h-42") == {people["grace"].enterprise_id}
    assert found(personas, mrn="H-42") == {people["grace"].enterprise_id}
    eid = people["alan"].enterprise_id
    assert found(personas, q=eid.lower()) == {eid}


def test_search_never_reaches_another_facility(personas, people):
    assert found(personas, q=people["elsewhere"].enterprise_id) == set()
    assert found(personas, q=people["elsewhere"].mrn) == set()


def test_search_page_lists_matches(personas, people):
    response = web_client(personas.writer).get(LIST, {"q": "Turing"})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [people["alan"]]


def test_search_with_an_invalid_filter_shows_nothing_rather_than_failing(personas, people):
    response = web_client(personas.writer).get(LIST, {"birth_date": "not-a-date"})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    response = api_client(personas.writer).get(API_LIST, {"birth_date": "not-a-date"})
    assert response.status_code == 400
    assert "birth_date" in response.json()["error"]["fields"]


# Errors a person can fix -----------------------------------------------------------------


def payload(where: Facility, **overrides):
    data = {
        "facility": where.code,
        "mrn": "DUP-1",
        "family_name": "Doe",
        "given_name": "Jan",
        "birth_date": "1990-01-01",
        "sex": "U",
    }
    return {**data, **overrides}


def test_duplicate_mrn_at_the_same_facility_is_a_clear_api_error(personas):
    PatientFactory(facility=personas.facility, mrn="DUP-1")
    response = api_client(personas.writer).post(API_LIST, payload(personas.facility), format="json")
    assert response.status_code == 400
    assert "already used at this facility" in error_message(response)
    assert response.json()["error"]["fields"]["mrn"]
    assert Patient.objects.filter(mrn="DUP-1").count() == 1


def test_duplicate_mrn_at_the_same_facility_is_a_clear_form_error(personas):
    PatientFactory(facility=personas.facility, mrn="DUP-1")
    data = payload(personas.facility, facility=personas.facility.pk)
    response = web_client(personas.writer).post("/records/patients/add/", data)
    assert response.status_code == 200
    assert "already used at this facility" in response.context["form"].errors["mrn"][0]
    # What the person typed is kept.
    assert 'value="Doe"' in response.content.decode()
    assert Patient.objects.filter(mrn="DUP-1").count() == 1


def test_same_mrn_at_another_facility_is_allowed(personas):
    from him.testing.factories import grant_facility

    grant_facility(personas.writer, personas.other_facility)
    PatientFactory(facility=personas.facility, mrn="DUP-1")
    response = api_client(personas.writer).post(
        API_LIST, payload(personas.other_facility), format="json"
    )
    assert response.status_code == 201, response.content


def test_duplicate_mrn_on_update_is_a_clear_error(personas):
    PatientFactory(facility=personas.facility, mrn="TAKEN")
    patient = PatientFactory(facility=personas.facility, mrn="MINE")
    before = snapshot(patient)
    response = api_client(personas.writer).patch(
        f"{API_LIST}{patient.enterprise_id}/", {"mrn": "TAKEN"}, format="json"
    )
    assert response.status_code == 400
    assert "already used" in error_message(response)
    assert snapshot(patient) == before


def test_mrn_clash_that_slips_past_validation_is_409_not_500(personas, monkeypatch):
    """Two requests racing: both pass validation, the database constraint catches the second."""
    from records.services import patients as patient_services

    PatientFactory(facility=personas.facility, mrn="DUP-1")
    # Both the serializer and the service ask mrn_clash; the race slips past both.
    monkeypatch.setattr(patient_services, "mrn_clash", lambda **kwargs: False)
    response = api_client(personas.writer).post(API_LIST, payload(personas.facility), format="json")
    assert response.status_code == 409
    assert "duplicate" in error_message(response)
    assert Patient.objects.filter(mrn="DUP-1").count() == 1


def test_future_birth_date_is_a_clear_error(personas):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api_client(personas.writer).post(
        API_LIST, payload(personas.facility, birth_date=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert "future" in response.json()["error"]["fields"]["birth_date"][0]
    data = payload(personas.facility, facility=personas.facility.pk, birth_date=tomorrow)
    response = web_client(personas.writer).post("/records/patients/add/", data)
    assert response.status_code == 200
    assert "cannot be in the future" in response.context["form"].errors["birth_date"][0]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"birth_date": "31/12/1990"},
        {"birth_date": "1990-02-30"},
        {"birth_date": None},
        {"sex": "Q"},
        {"mrn": ""},
        {"mrn": "M" * 500},
        {"family_name": ["a", "list"]},
        {"facility": "NOPE"},
        {"facility": {"code": "INSCOPE"}},
    ],
)
def test_bad_patient_input_is_400_with_the_field_named(personas, overrides):
    response = api_client(personas.writer).post(
        API_LIST, payload(personas.facility, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert set(overrides) <= set(response.json()["error"]["fields"])
    assert not Patient.objects.exists()


def test_sealing_rule_on_data_rolls_an_update_back(personas, monkeypatch):
    """A realistic rule: names flagged as sealed leave the user's reach once written."""
    from him import policy

    def sealed(queryset, user, action):
        return queryset.exclude(family_name__startswith="SEALED") if action == "view" else queryset

    monkeypatch.setitem(policy._rules, Patient, [sealed])
    patient = PatientFactory(facility=personas.facility)
    before = snapshot(patient)
    url = f"{API_LIST}{patient.enterprise_id}/"
    response = api_client(personas.writer).patch(url, {"family_name": "SEALED"}, format="json")
    assert response.status_code == 403
    assert snapshot(patient) == before
    form = {
        "facility": personas.facility.pk,
        "mrn": patient.mrn,
        "family_name": "SEALED",
        "given_name": "Ada",
        "birth_date": "1970-05-17",
        "sex": "F",
    }
    response = web_client(personas.writer).post(
        f"/records/patients/{patient.enterprise_id}/edit/", form
    )
    assert response.status_code == 200
    assert "outside the facilities you can reach" in response.content.decode()
    assert snapshot(patient) == before
