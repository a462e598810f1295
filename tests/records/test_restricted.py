"""Restricted patients and sensitive documents: 404 without a grant, visible with one."""

from __future__ import annotations

import orjson
import pytest
from access_support import (
    can_view,
    document,
    encounter,
    give,
    grant_document,
    grant_patient,
    patient,
)
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, remove_perm

from him import roles
from him.testing.mixins import results
from him.testing.personas import api_client, web_client
from him.trail import Action
from records.models import Document, Encounter, Patient, PatientIdentifier, Sensitivity

LIST = "/records/patients/"
API = "/api/v1/records/patients/"


@pytest.fixture
def vip(personas):
    return patient(personas.facility, restricted=True, family_name="Famous")


@pytest.fixture
def ordinary(personas):
    return patient(personas.facility, family_name="Ordinary")


def shown(client, url, **params) -> set[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    if "object_list" in (response.context or {}):
        return {p.enterprise_id for p in response.context["object_list"]}
    return {row["enterprise_id"] for row in results(response)}


def test_restricted_patient_is_404_and_absent_without_a_grant(personas, vip, ordinary):
    web, api = web_client(personas.writer), api_client(personas.writer)
    assert web.get(f"{LIST}{vip.enterprise_id}/").status_code == 404
    assert api.get(f"{API}{vip.enterprise_id}/").status_code == 404
    assert web.get(f"{LIST}{vip.enterprise_id}/edit/").status_code == 404
    assert shown(web, LIST) == {ordinary.enterprise_id}
    assert shown(api, API) == {ordinary.enterprise_id}
    for query in (vip.enterprise_id, vip.mrn, "Famous"):
        assert shown(web, LIST, q=query) == set()
        assert shown(api, API, q=query) == set()


def test_the_404_of_a_restricted_patient_reads_like_a_record_that_never_existed(personas, vip):
    api = api_client(personas.writer)
    hidden = api.get(f"{API}{vip.enterprise_id}/")
    missing = api.get(f"{API}ENOSUCHONE/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_per_patient_grant_opens_the_record(personas, vip, ordinary):
    grant_patient(personas.writer, vip)
    web, api = web_client(personas.writer), api_client(personas.writer)
    response = web.get(f"{LIST}{vip.enterprise_id}/")
    assert response.status_code == 200
    assert "Restricted record (VIP)" in response.content.decode()
    assert api.get(f"{API}{vip.enterprise_id}/").status_code == 200
    assert shown(api, API) == {vip.enterprise_id, ordinary.enterprise_id}
    assert shown(web, LIST, q="Famous") == {vip.enterprise_id}
    # Other users of the same role still cannot.
    assert api_client(personas.reader).get(f"{API}{vip.enterprise_id}/").status_code == 404


def test_grant_to_a_role_opens_the_record_for_its_members(personas, vip):
    group = Group.objects.get(name=roles.HIM_TECHNICIAN)
    grant_patient(group, vip)
    assert can_view(personas.writer, vip)
    assert not can_view(personas.reader, vip)  # an auditor


def test_the_grant_does_not_cross_facilities(personas):
    elsewhere = patient(personas.other_facility, restricted=True)
    grant_patient(personas.writer, elsewhere)
    assert not can_view(personas.writer, elsewhere)


def test_everything_of_a_restricted_patient_is_hidden_with_it(personas, vip):
    give(personas.writer, "view_encounter", "view_document", "view_patientidentifier")
    visit = encounter(vip)
    note = document(vip)
    from records.models import IdentifierSystem

    system = IdentifierSystem.objects.create(code="MRN-IN", name="MRN", kind="mrn")
    ident = PatientIdentifier.objects.create(patient=vip, system=system, value="X-1")
    for obj in (visit, note, ident):
        assert not can_view(personas.writer, obj), obj
    assert not Encounter.objects.visible_to(personas.writer).exists()
    assert not Document.objects.visible_to(personas.writer).exists()
    grant_patient(personas.writer, vip)
    for obj in (vip, visit, note, ident):
        assert can_view(personas.writer, obj), obj


# Sensitive documents ---------------------------------------------------------------------


@pytest.fixture
def reader_of_documents(personas):
    give(personas.writer, "view_document")
    return personas.writer


def test_part2_document_needs_the_category_permission(personas, reader_of_documents):
    p = patient(personas.facility)
    plain = document(p)
    part2 = document(p, Sensitivity.PART2)
    user = reader_of_documents
    assert can_view(user, plain)
    assert not can_view(user, part2)
    assert list(Document.objects.visible_to(user)) == [plain]
    give(user, "view_part2_documents")
    assert can_view(user, part2)


def test_a_document_with_two_categories_needs_both(personas, reader_of_documents):
    both = document(patient(personas.facility), Sensitivity.PART2 | Sensitivity.HIV)
    user = reader_of_documents
    give(user, "view_part2_documents")
    assert not can_view(user, both)
    give(user, "view_hiv_documents")
    assert can_view(user, both)


def test_a_category_permission_given_to_a_role_counts(personas, reader_of_documents):
    genetic = document(patient(personas.facility), Sensitivity.GENETIC)
    group = Group.objects.get(name=roles.HIM_TECHNICIAN)
    assign = group.permissions.add
    from django.contrib.auth.models import Permission

    assign(Permission.objects.get(codename="view_genetic_documents"))
    assert can_view(reader_of_documents, genetic)


def test_per_document_grant_opens_one_document(personas, reader_of_documents):
    p = patient(personas.facility)
    mine, other = document(p, Sensitivity.PSYCHOTHERAPY), document(p, Sensitivity.PSYCHOTHERAPY)
    grant_document(reader_of_documents, mine)
    assert can_view(reader_of_documents, mine)
    assert not can_view(reader_of_documents, other)
    remove_perm("records.view_sensitive_document", reader_of_documents, mine)
    assert not can_view(reader_of_documents, mine)


def test_sensitive_document_of_a_restricted_patient_needs_both_grants(personas, vip):
    give(personas.writer, "view_document", "view_hiv_documents")
    note = document(vip, Sensitivity.HIV)
    assert not can_view(personas.writer, note)
    grant_patient(personas.writer, vip)
    assert can_view(personas.writer, note)


# Cost ------------------------------------------------------------------------------------


def _count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(API).status_code == 200
    return len(captured)


def test_patient_list_query_count_does_not_grow_with_restricted_patients(personas):
    client = api_client(personas.writer)
    for _ in range(2):
        patient(personas.facility, restricted=True)
    grant_patient(personas.writer, patient(personas.facility, restricted=True))
    patient(personas.facility)
    _count_list_queries(client)  # warm caches (content types, session)
    few = _count_list_queries(client)
    for i in range(20):
        p = patient(personas.facility, restricted=i % 2 == 0)
        if i % 4 == 0:
            grant_patient(personas.writer, p)
    many = _count_list_queries(client)
    assert many == few


# Grants screen and trail -----------------------------------------------------------------


@pytest.fixture
def officer(personas):
    return personas.privileged(roles.PRIVACY_OFFICER)


def test_privacy_officer_grants_and_removes_access_with_trail_rows(
    personas, officer, vip, trail_watch
):
    web = web_client(officer)
    assert web.get("/records/access/grants/").status_code == 200
    response = web.post(
        "/records/access/grants/patients/add/",
        {"username": personas.writer.username, "enterprise_id": vip.enterprise_id},
    )
    assert response.status_code == 302
    assert can_view(personas.writer, vip)
    row = trail_watch.one(action=Action.PRIVILEGE)
    assert row.reason == "restricted patient access granted"
    assert (row.object_type, row.object_id) == ("him.user", str(personas.writer.pk))
    assert row.patient_id == vip.pk and row.user_id == officer.pk
    grant = vip.patientuserobjectpermission_set.get()
    trail_watch.mark()
    assert web.post(f"/records/access/grants/patients/{grant.pk}/remove/").status_code == 302
    assert not can_view(personas.writer, vip)
    assert trail_watch.one(action=Action.PRIVILEGE).reason == "restricted patient access removed"


def test_grant_form_errors_are_named_and_input_kept(officer, vip):
    response = web_client(officer).post(
        "/records/access/grants/patients/add/", {"username": "nobody", "enterprise_id": "EZZZ"}
    )
    assert response.status_code == 200
    form = response.context["patient_form"]
    assert "No active user" in form.errors["username"][0]
    assert "No patient" in form.errors["enterprise_id"][0]
    assert 'value="nobody"' in response.content.decode()


def test_document_grant_through_the_api(personas, officer, trail_watch):
    give(personas.writer, "view_document")
    note = document(patient(personas.facility), Sensitivity.PART2)
    api = api_client(officer)
    trail_watch.mark()
    response = api.post(
        "/api/v1/records/document-grants/",
        {"user": personas.writer.username, "document": str(note.public_id)},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert can_view(personas.writer, note)
    assert trail_watch.one(action=Action.PRIVILEGE).reason == "sensitive document access granted"
    listed = results(api.get("/api/v1/records/document-grants/"))
    assert [g["document"] for g in listed] == [str(note.public_id)]
    assert api.delete(f"/api/v1/records/document-grants/{listed[0]['id']}/").status_code == 204
    assert not can_view(personas.writer, note)


def test_patient_grant_api_and_unknown_patient(personas, officer, vip):
    api = api_client(officer)
    url = "/api/v1/records/patient-grants/"
    bad = api.post(url, {"user": personas.writer.username, "patient": "ENOPE"}, format="json")
    assert bad.status_code == 400
    assert "patient" in bad.json()["error"]["fields"]
    ok = api.post(url, {"user": personas.writer.username, "patient": vip.enterprise_id})
    assert ok.status_code == 201, ok.content
    assert can_view(personas.writer, vip)


def test_only_the_privacy_officer_manages_grants(personas, vip):
    web = web_client(personas.writer)
    assert web.get("/records/access/grants/").status_code == 403
    data = {"username": personas.writer.username, "enterprise_id": vip.enterprise_id}
    assert web.post("/records/access/grants/patients/add/", data).status_code == 403
    assert api_client(personas.writer).get("/api/v1/records/patient-grants/").status_code == 403
    assert not can_view(personas.writer, vip)


def test_grants_made_outside_the_screens_are_trailed_once(personas, vip, trail_watch):
    assign_perm("records.view_restricted_patient", personas.writer, vip)
    row = trail_watch.one(action=Action.PRIVILEGE)
    assert row.patient_id == vip.pk
    assert orjson.loads(row.detail)["via"] == "outside the grants screen"
    trail_watch.mark()
    remove_perm("records.view_restricted_patient", personas.writer, vip)
    assert trail_watch.one(action=Action.PRIVILEGE).reason == "restricted patient access removed"


def test_restriction_reason_is_required_by_the_database(personas):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            facility=personas.facility,
            mrn="NR-1",
            family_name="X",
            given_name="Y",
            birth_date="1970-01-01",
            confidentiality="restricted",
        )


@pytest.mark.django_db
def test_whoever_restricts_a_patient_keeps_access_and_the_grant_is_trailed(personas):
    """A technician restricting a VIP must not lock themselves out (the save would
    be rolled back as leaving their reach); others lose sight of the patient."""
    from him.models import AccessEvent
    from him.testing.personas import api_client
    from records.models import Patient

    patient = Patient.objects.create(
        facility=personas.facility,
        mrn="R-1",
        family_name="Vip",
        given_name="Victor",
        birth_date="1970-01-01",
    )
    url = f"/api/v1/records/patients/{patient.enterprise_id}/"
    response = api_client(personas.writer).patch(
        url, {"confidentiality": "restricted", "restriction_reason": "vip"}, format="json"
    )
    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.is_restricted
    assert api_client(personas.writer).get(url).status_code == 200
    assert api_client(personas.reader).get(url).status_code == 404
    assert AccessEvent.objects.filter(action="privilege", patient_id=patient.pk).exists()
