"""Intake on the screens and the API: the patient picker only finds patients in reach,
an out-of-scope patient is refused like one that does not exist and nothing is created;
a new requester inline; numbers; what is asked must belong to the patient."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from r_requests_support import (
    TODAY,
    RequesterFactory,
    RoiPatientFactory,
    make_encounter,
    make_request,
)

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import error_message
from him.testing.personas import api_client, web_client
from him.trail import Action
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests as services

pytestmark = pytest.mark.django_db
ADD = "/roi/requests/add/"
API = "/api/v1/roi/requests/"


@pytest.fixture
def specialist(personas):
    return UserFactory(
        username="rita", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )


def form_data(patient, requester, **extra) -> dict:
    return {
        "patient": patient.enterprise_id,
        "requester": str(requester.public_id) if requester else "",
        "received_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "purpose": ROIRequest.Purpose.LEGAL,
        "format": ROIRequest.Format.ELECTRONIC,
        "delivery": ROIRequest.Delivery.SECURE_LINK,
        **extra,
    }


def test_screen_intake_numbers_and_dates_the_request(personas, specialist, trail_watch):
    patient = RoiPatientFactory(facility=personas.facility)
    encounter = make_encounter(patient)
    requester = RequesterFactory()
    client = web_client(specialist)
    page = client.get(ADD, {"patient": patient.mrn})
    assert page.status_code == 200
    assert patient.family_name in page.content.decode()
    response = client.post(
        f"{ADD}?patient={patient.enterprise_id}",
        form_data(
            patient,
            requester,
            document_types=["discharge", "lab"],
            encounters=[str(encounter.public_id)],
            assigned_to=specialist.username,
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    roi = ROIRequest.objects.get()
    assert re.fullmatch(rf"ROI-{roi.received_on.year}-\d{{6}}", roi.number)
    assert roi.due_on == roi.received_on + dt.timedelta(days=30)
    assert roi.document_types == ["discharge", "lab"]
    assert list(roi.encounters.all()) == [encounter]
    assert roi.assigned_to == specialist
    assert response["Location"] == f"/roi/requests/{roi.public_id}/"
    row = trail_watch.one(action=Action.CREATE, object_type="release_of_info.roirequest")
    assert row.patient_id == patient.pk


def test_screen_intake_with_a_new_requester_inline(personas, specialist):
    patient = RoiPatientFactory(facility=personas.facility)
    response = web_client(specialist).post(
        f"{ADD}?patient={patient.enterprise_id}",
        form_data(
            patient,
            None,
            new_requester_name="Quinn Counsel",
            new_requester_type=Requester.Type.ATTORNEY,
            new_requester_organization="Counsel LLP",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    roi = ROIRequest.objects.get()
    assert roi.requester.name == "Quinn Counsel"
    assert roi.requester.organization == "Counsel LLP"


def test_screen_intake_without_any_requester_is_a_clear_error(personas, specialist):
    patient = RoiPatientFactory(facility=personas.facility)
    response = web_client(specialist).post(
        f"{ADD}?patient={patient.enterprise_id}", form_data(patient, None)
    )
    assert response.status_code == 200
    assert "Choose who is asking" in response.content.decode()
    assert not ROIRequest.objects.exists()


def test_screen_out_of_scope_patient_is_not_found_and_nothing_is_created(personas, specialist):
    outside = RoiPatientFactory(facility=personas.other_facility)
    client = web_client(specialist)
    page = client.get(ADD, {"patient": outside.enterprise_id})
    assert page.status_code == 200
    text = page.content.decode()
    assert "No patient you can reach" in text
    assert outside.family_name not in text
    # The same as an id that never existed.
    never = client.get(ADD, {"patient": "E000000000"})
    assert "No patient you can reach" in never.content.decode()
    response = client.post(
        f"{ADD}?patient={outside.enterprise_id}", form_data(outside, RequesterFactory())
    )
    assert response.status_code == 200
    assert "No patient you can reach" in response.content.decode()
    assert not ROIRequest.objects.exists()


def test_api_out_of_scope_patient_is_refused_like_one_that_does_not_exist(personas, specialist):
    outside = RoiPatientFactory(facility=personas.other_facility)
    requester = RequesterFactory()
    client = api_client(specialist)
    body = {
        "patient": outside.enterprise_id,
        "requester": str(requester.public_id),
        "received_on": TODAY.isoformat(),
        "purpose": "legal",
    }
    response = client.post(API, body, format="json")
    assert response.status_code == 400
    message = error_message(response)
    assert "No patient you can reach" in message
    never = client.post(API, {**body, "patient": "E000000000"}, format="json")
    assert error_message(never) == message.replace(outside.enterprise_id, "E000000000")
    assert not ROIRequest.objects.exists()


def test_api_intake_checks_encounters_and_types(personas, specialist):
    patient = RoiPatientFactory(facility=personas.facility)
    other = RoiPatientFactory(facility=personas.facility)
    foreign = make_encounter(other)
    body = {
        "patient": patient.enterprise_id,
        "requester": str(RequesterFactory().public_id),
        "received_on": TODAY.isoformat(),
        "purpose": "payment",
        "encounters": [str(foreign.public_id)],
        "document_types": ["discharge", "horoscope"],
        "date_from": "2025-05-01",
        "date_to": "2025-01-01",
    }
    response = api_client(specialist).post(API, body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "this patient" in fields["encounters"][0]
    assert "horoscope" in fields["document_types"][0]
    assert "before its start" in fields["date_to"][0]
    assert not ROIRequest.objects.exists()


def test_api_intake_creates_and_reports_the_clock(personas, specialist):
    patient = RoiPatientFactory(facility=personas.facility)
    body = {
        "patient": patient.enterprise_id,
        "requester": str(RequesterFactory(type=Requester.Type.PATIENT).public_id),
        "received_on": (TODAY - dt.timedelta(days=25)).isoformat(),
        "purpose": "personal",
        "document_types": ["discharge"],
    }
    response = api_client(specialist).post(API, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["days_left"] == 5
    assert data["due_alert"] is True
    assert data["needs_identity_verification"] is True
    assert data["facility"] == personas.facility.code


def test_numbers_are_unique_and_sequential_per_year(personas):
    first = make_request(facility=personas.facility)
    second = make_request(facility=personas.facility)
    year = first.received_on.year
    assert first.number == f"ROI-{year}-000001"
    assert second.number == f"ROI-{year}-000002"
    last_year = make_request(facility=personas.facility, received_on=dt.date(year - 1, 12, 30))
    assert last_year.number == f"ROI-{year - 1}-000001"


def test_numbering_continues_after_numbers_already_used(personas):
    roi = make_request(facility=personas.facility)
    year = roi.received_on.year
    # An imported request took a higher number before the counter existed for that year.
    from release_of_info.models.requests import ROINumberSequence

    ROINumberSequence.objects.filter(year=year).delete()
    ROIRequest.objects.filter(pk=roi.pk).update(number=f"ROI-{year}-000041")
    assert services.next_number(year) == f"ROI-{year}-000042"


def test_assignee_must_work_roi_at_the_facility(personas):
    outsider = UserFactory(
        username="elsewhere", roles=[roles.ROI_SPECIALIST], facilities=[personas.other_facility]
    )
    with pytest.raises(ValidationError) as caught:
        make_request(facility=personas.facility, assigned_to=outsider)
    assert "no access" in caught.value.message_dict["assigned_to"][0]
    with pytest.raises(ValidationError) as caught:
        make_request(facility=personas.facility, assigned_to=personas.writer)
    assert "does not work" in caught.value.message_dict["assigned_to"][0]


def test_the_assignee_list_holds_roi_workers_reaching_the_facility(personas, specialist):
    far = UserFactory(
        username="far", roles=[roles.ROI_SPECIALIST], facilities=[personas.other_facility]
    )
    listed = set(services.assignable_users(personas.facility).values_list("username", flat=True))
    assert "rita" in listed
    assert far.username not in listed
    assert personas.writer.username not in listed  # an HIM technician does not work ROI
    everywhere = set(services.assignable_users().values_list("username", flat=True))
    assert {"rita", "far"} <= everywhere


def test_chart_links_when_records_has_the_seam(personas, specialist):
    links = pytest.importorskip("records.links")
    patient = RoiPatientFactory(facility=personas.facility)
    shown = {
        item["label"]: item["url"] for item in links.for_object(specialist, links.PATIENT, patient)
    }
    assert shown["New ROI request"] == f"{ADD}?patient={patient.enterprise_id}"
    assert shown["ROI requests"].startswith("/roi/requests/?patient=")
    # An HIM technician holds no ROI permission: neither link shows.
    labels = {item["label"] for item in links.for_object(personas.writer, links.PATIENT, patient)}
    assert not labels & {"New ROI request", "ROI requests"}
