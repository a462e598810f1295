"""A technician records an incomplete document; the physician replies; the
technician closes the finding once fixed. Screens and API, with trail rows."""

from __future__ import annotations

import pytest
from deficiency_factories import EncounterFactory, PatientFactory
from django.contrib.auth.models import Group
from test_deficiencies import file

from him import roles
from him.models import AccessEvent
from him.testing.personas import api_client, web_client
from records.models import Deficiency, Document

API = "/api/v1/records/deficiencies/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def operative(personas) -> Document:
    encounter = EncounterFactory(patient=PatientFactory(facility=personas.facility))
    return file(encounter, Document.Type.OPERATIVE_REPORT)


def test_technician_flags_a_document_incomplete_for_its_author(personas, operative):
    response = api_client(personas.writer).post(
        f"{API}flag-incomplete/",
        {"document": str(operative.public_id), "note": "No estimated blood loss.", "due_days": 5},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "incomplete"
    assert body["note"] == "No estimated blood loss."
    deficiency = Deficiency.objects.get(kind="incomplete")
    assert deficiency.provider == operative.author
    assert AccessEvent.objects.filter(
        action="create", object_type="records.deficiency", object_id=str(deficiency.public_id)
    ).exists()


def test_flagging_without_saying_what_is_missing_is_refused(personas, operative):
    response = api_client(personas.writer).post(
        f"{API}flag-incomplete/", {"document": str(operative.public_id)}, format="json"
    )
    assert response.status_code == 400
    assert "incomplete" in response.json()["error"]["message"]
    assert not Deficiency.objects.filter(kind="incomplete").exists()


def test_a_document_of_another_facility_cannot_be_flagged(personas):
    encounter = EncounterFactory(patient=PatientFactory(facility=personas.other_facility))
    elsewhere = file(encounter, Document.Type.OPERATIVE_REPORT)
    response = api_client(personas.writer).post(
        f"{API}flag-incomplete/",
        {"document": str(elsewhere.public_id), "note": "x"},
        format="json",
    )
    assert response.status_code == 404


def test_read_only_role_cannot_flag(personas, operative):
    response = api_client(personas.reader).post(
        f"{API}flag-incomplete/",
        {"document": str(operative.public_id), "note": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not Deficiency.objects.filter(kind="incomplete").exists()


def test_physician_replies_and_technician_closes_the_finding(personas, operative):
    physician = operative.author
    physician.user = personas.writer.__class__.objects.create_user("dr-hart", password=None)
    physician.save()
    physician.user.groups.add(Group.objects.get(name=roles.PHYSICIAN))
    from guardian.shortcuts import assign_perm

    assign_perm("him.access_facility", physician.user, personas.facility)
    page = web_client(personas.writer).post(
        f"/records/documents/{operative.public_id}/flag-incomplete/",
        {"note": "Missing the implant lot number.", "due_days": 7},
    )
    assert page.status_code == 302
    deficiency = Deficiency.objects.get(kind="incomplete")

    reply = api_client(physician.user).post(
        f"{API}{deficiency.public_id}/reply/",
        {"text": "Lot number added in the addendum."},
        format="json",
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["replies"][0]["text"] == "Lot number added in the addendum."
    empty = api_client(physician.user).post(
        f"{API}{deficiency.public_id}/reply/", {"text": "  "}, format="json"
    )
    assert empty.status_code == 400

    # A physician cannot close findings; the technician can.
    assert (
        api_client(physician.user).post(f"{API}{deficiency.public_id}/complete/").status_code == 403
    )
    done = web_client(personas.writer).post(
        f"/records/deficiencies/{deficiency.public_id}/complete/"
    )
    assert done.status_code == 302
    deficiency.refresh_from_db()
    assert deficiency.status == "completed"
    detail = web_client(personas.writer).get(f"/records/deficiencies/{deficiency.public_id}/")
    assert "Lot number added in the addendum." in detail.content.decode()
    assert AccessEvent.objects.filter(reason="reply", username=physician.user.username).exists()


def test_rule_deficiencies_are_not_closed_by_hand(personas, operative):
    from records.services import deficiencies as services

    encounter = operative.encounter
    deficiency = Deficiency.objects.create(
        encounter=encounter,
        kind="missing_document",
        doc_type="discharge",
        provider=encounter.attending,
        due_at=encounter.admit_at,
    )
    response = api_client(personas.writer).post(f"{API}{deficiency.public_id}/complete/")
    assert response.status_code == 400
    assert "close themselves" in response.json()["error"]["message"]
    assert services.INCOMPLETE_DUE_DAYS == 7
