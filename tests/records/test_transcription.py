"""Transcription: from a template, saved as a draft, routed to the author, signed."""

from __future__ import annotations

import pytest
from documents_support import PatientFactory, ProviderFactory

from him import roles
from him.testing.factories import UserFactory
from him.testing.personas import web_client
from records.models import Document, TranscriptionTemplate

NEW = "/records/transcription/new/"


@pytest.fixture
def author(personas):
    user = UserFactory(
        username="drdictates", roles=[roles.PHYSICIAN], facilities=[personas.facility]
    )
    return ProviderFactory(user=user)


def test_default_templates_exist(db):
    types = set(TranscriptionTemplate.objects.values_list("doc_type", flat=True))
    assert {"hp", "operative", "discharge", "consult"} <= types


def test_editor_starts_from_the_template(personas):
    patient = PatientFactory(facility=personas.facility)
    response = web_client(personas.writer).get(
        NEW, {"patient": patient.enterprise_id, "doc_type": "operative"}
    )
    assert response.status_code == 200
    assert "PREOPERATIVE DIAGNOSIS:" in response.content.decode()


def test_transcription_routes_to_the_author_who_signs(personas, author):
    patient = PatientFactory(facility=personas.facility)
    data = {
        "patient": patient.enterprise_id,
        "doc_type": "hp",
        "service_date": "2026-01-03",
        "author": author.pk,
        "text": "CHIEF COMPLAINT:\nChest pain.\n",
    }
    tech = web_client(personas.writer)
    response = tech.post(NEW, {**data, "save": "1"})
    assert response.status_code == 302, response.context["form"].errors
    document = Document.objects.get(patient=patient)
    assert (document.status, document.author) == (Document.Status.DRAFT, author)
    assert list(web_client(author.user).get("/records/signatures/").context["object_list"]) == []
    # The transcriptionist finishes the draft and routes it.
    edit = {
        "doc_type": "hp",
        "title": "H&P",
        "service_date": "2026-01-03",
        "author": author.pk,
        "text": "CHIEF COMPLAINT:\nChest pain.\n\nPLAN:\nAdmit.",
        "route": "1",
    }
    response = tech.post(f"/records/documents/{document.public_id}/edit/", edit)
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.PENDING_SIGNATURE
    assert document.status_changes.get().to_status == Document.Status.PENDING_SIGNATURE
    doctor = web_client(author.user)
    assert list(doctor.get("/records/signatures/").context["object_list"]) == [document]
    response = doctor.post(f"/records/documents/{document.public_id}/sign/", {"next": "queue"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.SIGNED
    assert document.current_version.signed_by == author
    assert "PLAN:\nAdmit." in document.current_version.text
    assert list(doctor.get("/records/signatures/").context["object_list"]) == []


def test_route_at_once_and_author_required(personas, author):
    patient = PatientFactory(facility=personas.facility)
    data = {"patient": patient.enterprise_id, "doc_type": "consult", "service_date": "2026-01-03"}
    response = web_client(personas.writer).post(NEW, {**data, "route": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["author"]
    assert not Document.objects.exists()
    response = web_client(personas.writer).post(NEW, {**data, "author": author.pk, "route": "1"})
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.status == Document.Status.PENDING_SIGNATURE
    assert "REASON FOR CONSULTATION:" in document.current_version.text


def test_only_transcriptionists_transcribe(personas):
    coder = UserFactory(username="coder1", roles=[roles.CODER], facilities=[personas.facility])
    assert web_client(coder).get(NEW).status_code == 403
    assert web_client(coder).get("/records/transcription/").status_code == 403
