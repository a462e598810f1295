"""The chart's rules a person meets: SSN, identifiers, NPI, encounters, demographics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import error_message, snapshot
from him.testing.personas import api_client, web_client
from him.trail import Action
from records import hooks
from records.models import Encounter, Patient, PatientIdentifier, Provider
from records.models.providers import npi_is_valid
from tests.records.chart_factories import (
    EncounterFactory,
    IdentifierFactory,
    PatientFactory,
    ProviderFactory,
    SystemFactory,
)

PATIENTS = "/api/v1/records/patients/"
ENCOUNTERS = "/api/v1/records/encounters/"
IDENTIFIERS = "/api/v1/records/identifiers/"


@pytest.fixture
def patient(personas):
    p = PatientFactory(facility=personas.facility)
    p.set_ssn("912-34-5678")
    p.save()
    return p


# SSN ------------------------------------------------------------------------------------


def test_ssn_is_stored_encrypted(personas):
    response = api_client(personas.writer).post(
        PATIENTS,
        {
            "facility": personas.facility.code,
            "mrn": "S-1",
            "family_name": "Doe",
            "given_name": "Jan",
            "birth_date": "1990-01-01",
            "ssn": "912-34-5678",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "ssn" not in response.json()
    assert response.json()["ssn_masked"] == "***-**-5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn_encrypted FROM records_patient WHERE mrn = 'S-1'")
        (stored,) = cursor.fetchone()
    assert stored and "912345678" not in stored and "912-34" not in stored
    assert Patient.objects.get(mrn="S-1").ssn() == "912-34-5678"


def test_coder_sees_the_ssn_masked_and_cannot_reveal_it(personas, patient, trail_watch):
    coder = UserFactory(username="coder", roles=[roles.CODER], facilities=[personas.facility])
    chart = web_client(coder).get(f"/records/patients/{patient.enterprise_id}/")
    assert chart.status_code == 200
    body = chart.content.decode()
    assert "***-**-5678" in body and "912-34-5678" not in body
    assert "Show full SSN" not in body
    assert (
        web_client(coder).get(f"/records/patients/{patient.enterprise_id}/ssn/").status_code == 403
    )
    response = api_client(coder).get(f"{PATIENTS}{patient.enterprise_id}/ssn/")
    assert response.status_code == 403
    assert "SSN" in error_message(response)
    assert (
        "912-34-5678"
        not in api_client(coder).get(f"{PATIENTS}{patient.enterprise_id}/").content.decode()
    )
    trail_watch.none(reason="SSN shown")


def test_user_with_view_ssn_sees_it_in_full_and_it_is_trailed(personas, patient, trail_watch):
    roi = UserFactory(username="roi", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility])
    page = web_client(roi).get(f"/records/patients/{patient.enterprise_id}/ssn/")
    assert page.status_code == 200
    assert "912-34-5678" in page.content.decode()
    row = trail_watch.one(reason="SSN shown")
    assert (row.action, row.user_id, row.patient_id) == (Action.READ, roi.pk, patient.pk)
    trail_watch.mark()
    response = api_client(personas.writer).get(f"{PATIENTS}{patient.enterprise_id}/ssn/")
    assert response.json() == {"enterprise_id": patient.enterprise_id, "ssn": "912-34-5678"}
    trail_watch.one(reason="SSN shown", user_id=personas.writer.pk)


def test_bad_ssn_is_a_clear_error(personas, patient):
    url = f"{PATIENTS}{patient.enterprise_id}/"
    response = api_client(personas.writer).patch(url, {"ssn": "12345"}, format="json")
    assert response.status_code == 400
    assert "9 digits" in response.json()["error"]["fields"]["ssn"][0]
    assert Patient.objects.get(pk=patient.pk).ssn() == "912-34-5678"


# Demographics -------------------------------------------------------------------------------


def test_deceased_before_birth_is_refused(personas, patient):
    before = snapshot(patient)
    url = f"{PATIENTS}{patient.enterprise_id}/"
    response = api_client(personas.writer).patch(
        url, {"deceased_date": "1960-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "before the birth date" in response.json()["error"]["fields"]["deceased_date"][0]
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = api_client(personas.writer).patch(url, {"deceased_date": future}, format="json")
    assert "future" in response.json()["error"]["fields"]["deceased_date"][0]
    assert snapshot(patient) == before


def _form(patient, **overrides):
    data = {
        "facility": patient.facility_id,
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "confidentiality": "normal",
    }
    return {**data, **overrides}


def test_restricting_without_a_reason_is_refused(personas, patient):
    before = snapshot(patient)
    response = api_client(personas.writer).patch(
        f"{PATIENTS}{patient.enterprise_id}/", {"confidentiality": "restricted"}, format="json"
    )
    assert response.status_code == 400
    assert "needs a reason" in response.json()["error"]["fields"]["restriction_reason"][0]
    response = web_client(personas.writer).post(
        f"/records/patients/{patient.enterprise_id}/edit/",
        _form(patient, confidentiality="restricted", family_name="Kept"),
    )
    assert response.status_code == 200
    assert "needs a reason" in response.context["form"].errors["restriction_reason"][0]
    assert 'value="Kept"' in response.content.decode()
    assert snapshot(patient) == before


def test_form_keeps_the_ssn_when_left_blank_and_shows_it_masked(personas, patient):
    url = f"/records/patients/{patient.enterprise_id}/edit/"
    page = web_client(personas.writer).get(url)
    assert "912-34-5678" not in page.content.decode()
    assert "***-**-5678" in page.content.decode()
    response = web_client(personas.writer).post(url, _form(patient, phone="555-0100"))
    assert response.status_code == 302, response.context["form"].errors
    fresh = Patient.objects.get(pk=patient.pk)
    assert (fresh.phone, fresh.ssn()) == ("555-0100", "912-34-5678")


# Identifiers ------------------------------------------------------------------------------


def test_duplicate_identifier_is_a_clear_error(personas, patient):
    IdentifierFactory(patient=PatientFactory(facility=personas.facility), value="M-77")
    body = {"patient": patient.enterprise_id, "system": "PAYER-ACME", "value": "M-77"}
    response = api_client(personas.writer).post(IDENTIFIERS, body, format="json")
    assert response.status_code == 400
    assert "PAYER-ACME M-77 is already assigned" in error_message(response)
    page = web_client(personas.writer).post(
        f"/records/patients/{patient.enterprise_id}/identifiers/add/",
        {"system": SystemFactory().pk, "value": "M-77"},
    )
    assert page.status_code == 200
    assert "PAYER-ACME M-77 is already assigned" in page.context["form"].errors["value"][0]
    assert PatientIdentifier.objects.filter(value="M-77").count() == 1


def test_unknown_identifier_system_is_a_clear_error(personas, patient):
    body = {"patient": patient.enterprise_id, "system": "NOPE", "value": "1"}
    response = api_client(personas.writer).post(IDENTIFIERS, body, format="json")
    assert response.status_code == 400
    assert "Unknown identifier system NOPE" in error_message(response)
    assert not PatientIdentifier.objects.exists()


def test_identifier_added_and_removed_on_the_chart(personas, patient, trail_watch):
    client = web_client(personas.writer)
    system = SystemFactory()
    response = client.post(
        f"/records/patients/{patient.enterprise_id}/identifiers/add/",
        {"system": system.pk, "value": "M-88"},
    )
    assert response.status_code == 302
    ident = PatientIdentifier.objects.get(value="M-88")
    trail_watch.one(action=Action.CREATE, object_type="records.patientidentifier")
    chart = client.get(f"/records/patients/{patient.enterprise_id}/").content.decode()
    assert "M-88" in chart
    assert client.post(f"/records/identifiers/{ident.pk}/remove/").status_code == 302
    assert not PatientIdentifier.objects.filter(pk=ident.pk).exists()
    trail_watch.one(action=Action.DELETE, object_type="records.patientidentifier")


# Providers --------------------------------------------------------------------------------


def test_npi_check_digit():
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("1234567890")


def test_invalid_npi_is_a_clear_error(personas):
    response = api_client(personas.writer).post(
        "/api/v1/records/providers/",
        {"npi": "1234567890", "family_name": "Hart", "given_name": "Felix"},
        format="json",
    )
    assert response.status_code == 400
    assert "check digit" in response.json()["error"]["fields"]["npi"][0]
    response = web_client(personas.writer).post(
        "/records/providers/add/",
        {"npi": "1234567890", "family_name": "Hart", "given_name": "Felix", "active": "on"},
    )
    assert response.status_code == 200
    assert "check digit" in response.context["form"].errors["npi"][0]
    ok = api_client(personas.writer).post(
        "/api/v1/records/providers/",
        {"npi": "1234567893", "family_name": "Hart", "given_name": "Felix"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert list(Provider.objects.values_list("npi", flat=True)) == ["1234567893"]


# Encounters -------------------------------------------------------------------------------


def _encounter_body(patient, facility, **overrides):
    body = {
        "patient": patient.enterprise_id,
        "facility": facility.code,
        "number": "V-1",
        "encounter_class": "inpatient",
        "admit_at": "2024-03-05T10:00:00Z",
    }
    return {**body, **overrides}


def test_discharge_before_admit_is_refused_on_form_and_api(personas, patient):
    body = _encounter_body(
        patient,
        personas.facility,
        status="discharged",
        discharge_at="2024-03-04T10:00:00Z",
        discharge_disposition="01",
    )
    response = api_client(personas.writer).post(ENCOUNTERS, body, format="json")
    assert response.status_code == 400
    assert "Discharge cannot be before admission" in error_message(response)
    form = {
        "patient_ref": patient.enterprise_id,
        "facility": personas.facility.pk,
        "number": "V-1",
        "encounter_class": "inpatient",
        "admit_at": "2024-03-05T10:00",
        "admit_source": "1",
        "status": "discharged",
        "discharge_at": "2024-03-04T10:00",
        "discharge_disposition": "01",
    }
    page = web_client(personas.writer).post("/records/encounters/add/", form)
    assert page.status_code == 200
    assert "before admission" in page.context["form"].errors["discharge_at"][0]
    assert not Encounter.objects.exists()


def test_encounter_at_an_unreachable_facility_is_refused(personas, patient):
    body = _encounter_body(patient, personas.other_facility)
    response = api_client(personas.writer).post(ENCOUNTERS, body, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["facility"][0]
    assert "OTHER" in message and "outside the facilities you can reach" in message
    form = {
        "patient_ref": patient.enterprise_id,
        "facility": personas.other_facility.pk,
        "number": "V-1",
        "encounter_class": "inpatient",
        "admit_at": "2024-03-05T10:00",
        "admit_source": "1",
        "status": "admitted",
    }
    page = web_client(personas.writer).post("/records/encounters/add/", form)
    assert "outside the facilities you can reach" in page.context["form"].errors["facility"][0]
    assert not Encounter.objects.exists()


def test_encounter_for_an_unreachable_patient_is_refused(personas):
    elsewhere = PatientFactory(facility=personas.other_facility)
    body = _encounter_body(elsewhere, personas.facility)
    response = api_client(personas.writer).post(ENCOUNTERS, body, format="json")
    assert response.status_code == 400
    assert "that you can reach" in response.json()["error"]["fields"]["patient"][0]


def test_duplicate_visit_number_is_a_clear_error(personas, patient):
    EncounterFactory(patient=patient, facility=personas.facility, number="V-1")
    response = api_client(personas.writer).post(
        ENCOUNTERS, _encounter_body(patient, personas.facility), format="json"
    )
    assert response.status_code == 400
    assert "Visit number V-1 is already used at INSCOPE" in error_message(response)


def test_discharge_fires_the_hook_once_and_sets_the_status(personas, patient, monkeypatch):
    fired = []
    monkeypatch.setitem(
        hooks._handlers, hooks.ENCOUNTER_DISCHARGED, [lambda **kw: fired.append(kw)]
    )
    encounter = EncounterFactory(patient=patient, facility=personas.facility)
    url = f"{ENCOUNTERS}{encounter.public_id}/discharge/"
    when = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    body = {"discharge_at": when, "discharge_disposition": "01"}
    response = api_client(personas.writer).post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "discharged"
    assert response.json()["length_of_stay_days"] is not None
    assert [kw["encounter"].pk for kw in fired] == [encounter.pk]
    again = api_client(personas.writer).post(url, body, format="json")
    assert again.status_code == 400
    assert "Only an admitted encounter" in error_message(again)
    assert len(fired) == 1


def test_discharge_screen_refuses_discharge_before_admit(personas, patient):
    encounter = EncounterFactory(patient=patient, facility=personas.facility)
    before = snapshot(encounter)
    early = (encounter.admit_at - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = web_client(personas.writer).post(
        f"/records/encounters/{encounter.public_id}/discharge/",
        {"discharge_at": early, "discharge_disposition": "01"},
    )
    assert page.status_code == 200
    assert "before admission" in page.context["form"].errors["discharge_at"][0]
    assert snapshot(encounter) == before


def test_chart_lists_encounters_with_the_other_parts_spot(personas, patient):
    doc = ProviderFactory(family_name="Attend")
    EncounterFactory(
        patient=patient,
        facility=personas.facility,
        number="V-CHART",
        attending=doc,
        discharge_at=timezone.now() - dt.timedelta(days=1),
        discharge_disposition="01",
        status="discharged",
    )
    body = web_client(personas.writer).get(f"/records/patients/{patient.enterprise_id}/")
    text = body.content.decode()
    assert "V-CHART" in text and "Attend" in text
    assert "<!-- chart sections: other parts include theirs here -->" in text


def test_demo_seed_creates_systems_providers_patients_and_encounters(db):
    from him import demo

    demo.seed(patients_per_facility=3)
    assert set(
        PatientIdentifier.objects.filter(system__code="MRN-MAIN").values_list("value", flat=True)
    ) == set(Patient.objects.filter(facility__code="MAIN").values_list("mrn", flat=True))
    assert Provider.objects.filter(user__username="physician").exists()
    assert Encounter.objects.exists()
    seeded = Patient.objects.count()
    # Hand-made demo patients, plus the synthetic set (S-numbered MRNs) on top.
    assert Patient.objects.exclude(mrn__startswith="S").count() == 6
    assert Patient.objects.filter(mrn__startswith="S").exists()
    demo.seed(patients_per_facility=3)  # idempotent
    assert Patient.objects.count() == seeded
