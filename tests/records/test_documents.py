"""Documents: the policy contract, content checked by its bytes, versions, entered in
error, the viewer's content reads and downloads in the trail, and signing."""

from __future__ import annotations

import datetime as dt
import hashlib

import orjson
import pytest
from documents_support import (
    EXE_BYTES,
    PatientFactory,
    ProviderFactory,
    make_document,
    make_encounter,
    pdf_bytes,
    png_bytes,
    tiff_bytes,
    upload,
)

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract, error_message, results, snapshot
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import Document, DocumentVersion
from records.services import documents as services
from records.services.scanning import scan_upload_create

LIST = "/records/documents/"
API_LIST = "/api/v1/records/documents/"


def api_url(document: Document, suffix: str = "") -> str:
    return f"{API_LIST}{document.public_id}/{suffix}"


def page_url(document: Document, suffix: str = "") -> str:
    return f"{LIST}{document.public_id}/{suffix}"


class TestDocumentContract(PolicyContract):
    model = Document
    list_url = LIST
    create_url = "/records/documents/add/"
    api_list_url = API_LIST

    def make(self, facility):
        return make_document(facility)

    def detail_url(self, obj):
        return page_url(obj)

    def update_url(self, obj):
        return page_url(obj, "edit/")

    def api_detail_url(self, obj):
        return api_url(obj)

    def create_payload(self, facility):
        patient = PatientFactory(facility=facility)
        return {
            "patient": patient.enterprise_id,
            "doc_type": "consult",
            "service_date": "2026-02-01",
            "text": "Consultation: cardiology, no acute findings.",
        }

    def update_payload(self, obj):
        return {"title": "Renamed draft"}

    def form_data(self, facility, obj=None):
        if obj is None:
            return self.create_payload(facility)
        return {
            "doc_type": obj.doc_type,
            "title": "Edited draft",
            "service_date": obj.service_date.isoformat(),
            "text": "Edited text.",
        }

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}

    def test_api_delete_writes_a_delete_row(self, deleter, inside, trail_watch):
        """Documents are never deleted, whatever permission a user holds."""
        response = api_client(deleter).delete(api_url(inside))
        assert response.status_code == 405
        assert "entered in error" in error_message(response)
        assert Document.objects.filter(pk=inside.pk).exists()
        trail_watch.none(action=Action.DELETE)


# Files checked by their content ---------------------------------------------------------


def file_post(personas, name, data, content_type="application/pdf"):
    patient = PatientFactory(facility=personas.facility)
    body = {
        "patient": patient.enterprise_id,
        "doc_type": "outside",
        "service_date": "2026-03-01",
        "file": upload(name, data, content_type),
    }
    return api_client(personas.writer).post(API_LIST, body, format="multipart"), patient


def test_exe_renamed_pdf_is_refused_by_the_api_and_nothing_is_saved(personas):
    response, _ = file_post(personas, "discharge.pdf", EXE_BYTES)
    assert response.status_code == 400
    assert "not a PDF, TIFF, JPEG or PNG" in error_message(response)
    assert "file" in response.json()["error"]["fields"]
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()


def test_exe_renamed_pdf_is_refused_by_the_form_and_what_was_typed_is_kept(personas):
    patient = PatientFactory(facility=personas.facility)
    data = {
        "patient": patient.enterprise_id,
        "doc_type": "outside",
        "service_date": "2026-03-01",
        "title": "Outside records from Mercy",
        "file": upload("records.pdf", EXE_BYTES),
    }
    response = web_client(personas.writer).post("/records/documents/add/", data)
    assert response.status_code == 200
    assert "not a PDF, TIFF, JPEG or PNG" in response.context["form"].errors["file"][0]
    assert "Outside records from Mercy" in response.content.decode()
    assert not Document.objects.exists()


def test_oversize_file_is_refused(personas, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    response, _ = file_post(personas, "big.pdf", pdf_bytes(3) + b"\n" * 2000)
    assert response.status_code == 400
    assert "too large" in error_message(response)
    assert not Document.objects.exists()


def test_broken_and_encrypted_pdfs_are_refused_clearly(personas, tmp_path):
    import pikepdf

    response, _ = file_post(personas, "broken.pdf", b"%PDF-1.7\nthis is not a pdf at all")
    assert response.status_code == 400
    assert "damaged" in error_message(response)
    pdf = pikepdf.open(__import__("io").BytesIO(pdf_bytes()))
    target = tmp_path / "locked.pdf"
    pdf.save(target, encryption=pikepdf.Encryption(owner="o", user="secret"))
    response, _ = file_post(personas, "locked.pdf", target.read_bytes())
    assert response.status_code == 400
    assert "encrypted" in error_message(response)
    assert not Document.objects.exists()


def test_a_real_pdf_gets_its_page_count_and_sha256(personas):
    data = pdf_bytes(3)
    response, patient = file_post(personas, "op note.PDF", data)
    assert response.status_code == 201, response.content
    version = Document.objects.get(patient=patient).current_version
    assert (version.page_count, version.content_type) == (3, "application/pdf")
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert version.size == len(data)
    assert version.file_name == "op note.pdf"
    assert response.json()["current_version"]["page_count"] == 3


def test_a_two_page_tiff_counts_two_pages(personas):
    response, patient = file_post(personas, "scan.tif", tiff_bytes(2), "image/tiff")
    assert response.status_code == 201, response.content
    assert Document.objects.get(patient=patient).current_version.page_count == 2


def test_type_comes_from_the_bytes_not_the_name(personas):
    response, patient = file_post(personas, "photo.pdf", png_bytes(), "application/pdf")
    assert response.status_code == 201, response.content
    version = Document.objects.get(patient=patient).current_version
    assert (version.content_type, version.file_name, version.page_count) == (
        "image/png",
        "photo.png",
        1,
    )


# Versions, signing, entered in error ------------------------------------------------------


@pytest.fixture
def author(personas):
    physician = UserFactory(
        username="drauthor", roles=[roles.PHYSICIAN], facilities=[personas.facility]
    )
    return ProviderFactory(user=physician)


def test_correction_creates_v2_and_v1_stays_readable(personas, author):
    document = make_document(personas.facility, author=author, text="Original text.")
    services.document_sign(document=document, provider=author, user=author.user)
    client = api_client(personas.writer)
    response = client.post(
        api_url(document, "versions/"),
        {"kind": "correction", "reason": "Wrong laterality", "text": "Left knee, not right."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert document.status == Document.Status.PENDING_SIGNATURE
    versions = client.get(api_url(document, "versions/")).json()
    assert [v["text"] for v in versions] == ["Original text.", "Left knee, not right."]
    assert versions[1]["reason"] == "Wrong laterality"
    assert versions[1]["created_by"] == "writer"
    assert versions[0]["signed_by"]
    old = web_client(personas.writer).get(page_url(document), {"version": 1})
    assert old.status_code == 200 and "Original text." in old.content.decode()
    history = web_client(personas.writer).get(page_url(document, "versions/"))
    assert "Wrong laterality" in history.content.decode()


def test_a_version_needs_a_reason(personas):
    document = make_document(personas.facility)
    response = api_client(personas.writer).post(
        api_url(document, "versions/"), {"kind": "addendum", "text": "More."}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert document.versions.count() == 1


def test_a_signed_document_is_never_edited_in_place(personas, author):
    document = make_document(personas.facility, author=author, text="Signed text.")
    services.document_sign(document=document, provider=author, user=author.user)
    before = snapshot(document)
    version_before = snapshot(document.current_version)
    response = api_client(personas.writer).patch(
        api_url(document), {"text": "Quietly changed."}, format="json"
    )
    assert response.status_code == 400
    assert "cannot be edited in place" in error_message(response)
    assert snapshot(document) == before
    assert snapshot(document.current_version) == version_before
    # The edit screen sends to the version form instead.
    page = web_client(personas.writer).get(page_url(document, "edit/"), follow=True)
    assert "cannot be edited in place" in page.content.decode()


def test_entered_in_error_is_hidden_from_lists_but_kept(personas, trail_watch):
    kept = make_document(personas.facility)
    wrong = make_document(personas.facility, patient=kept.patient)
    client = api_client(personas.writer)
    response = client.post(
        api_url(wrong, "entered-in-error/"), {"reason": "Filed to the wrong patient"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "entered_in_error"
    params = {"patient": kept.patient.enterprise_id}
    assert [d["id"] for d in results(client.get(API_LIST, params))] == [str(kept.public_id)]
    shown = results(client.get(API_LIST, {**params, "show_entered_in_error": "true"}))
    assert {d["id"] for d in shown} == {str(kept.public_id), str(wrong.public_id)}
    page = web_client(personas.writer).get(LIST, params)
    assert list(page.context["object_list"]) == [kept]
    detail = web_client(personas.writer).get(page_url(wrong))
    assert detail.status_code == 200
    assert "Filed to the wrong patient" in detail.content.decode()
    assert client.get(api_url(wrong)).status_code == 200


def test_entered_in_error_needs_a_reason(personas):
    document = make_document(personas.facility)
    response = api_client(personas.writer).post(
        api_url(document, "entered-in-error/"), {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    document.refresh_from_db()
    assert document.status == Document.Status.DRAFT


def test_content_view_writes_read_and_download_writes_export(personas, trail_watch):
    data = pdf_bytes(1)
    document = make_document(personas.facility, file=upload("a.pdf", data))
    client = web_client(personas.reader)
    response = client.get(page_url(document, "content/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data
    row = trail_watch.one(action=Action.READ, object_type="records.document")
    assert row.object_id == str(document.public_id)
    assert row.patient_id == document.patient_id
    trail_watch.mark()
    response = client.get(page_url(document, "download/"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    trail_watch.one(action=Action.EXPORT, object_type="records.document")
    trail_watch.mark()
    response = api_client(personas.reader).get(api_url(document, "download/"))
    assert response.status_code == 200
    trail_watch.one(action=Action.EXPORT, object_type="records.document")
    # The viewer page shows the PDF through that view, never a media URL.
    page = client.get(page_url(document)).content.decode()
    assert f'src="/records/documents/{document.public_id}/content/?version=1"' in page


def test_images_are_shown_through_the_same_view(personas):
    document = make_document(personas.facility, file=upload("x.png", png_bytes(), "image/png"))
    page = web_client(personas.reader).get(page_url(document)).content.decode()
    assert f'<img src="/records/documents/{document.public_id}/content/?version=1"' in page
    tiff = make_document(personas.facility, file=upload("t.tif", tiff_bytes(2), "image/tiff"))
    response = web_client(personas.reader).get(page_url(tiff, "content/"), {"page": 2})
    assert response["Content-Type"] == "image/png"


def test_another_facility_gets_404_on_the_content(personas, trail_watch):
    document = make_document(personas.facility, file=upload("a.pdf", pdf_bytes()))
    for suffix in ("content/", "download/"):
        response = web_client(personas.outsider).get(page_url(document, suffix))
        assert response.status_code == 404
        response = api_client(personas.outsider).get(api_url(document, suffix))
        assert response.status_code == 404
    rows = trail_watch.rows(object_type="records.document")
    assert len(rows) == 4 and all(r.outcome == Outcome.NOT_FOUND for r in rows)
    trail_watch.none(outcome=Outcome.SUCCESS, object_type="records.document")


def test_only_the_author_signs(personas, author, trail_watch):
    other = ProviderFactory(
        user=UserFactory(
            username="drother", roles=[roles.PHYSICIAN], facilities=[personas.facility]
        )
    )
    document = make_document(
        personas.facility, author=author, status=Document.Status.PENDING_SIGNATURE
    )
    response = api_client(other.user).post(api_url(document, "sign/"))
    assert response.status_code == 403
    assert "Only the document's author" in error_message(response)
    response = web_client(other.user).post(page_url(document, "sign/"))
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.status == Document.Status.PENDING_SIGNATURE
    assert document.current_version.signed_at is None
    assert trail_watch.rows(action=Action.DENIED, object_type="records.document")
    # A technician has no signing permission at all.
    response = api_client(personas.writer).post(api_url(document, "sign/"))
    assert response.status_code == 403
    # The author signs from the queue.
    queue = web_client(author.user).get("/records/signatures/")
    assert list(queue.context["object_list"]) == [document]
    response = web_client(author.user).post(page_url(document, "sign/"), {"next": "queue"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.SIGNED
    assert document.current_version.signed_by == author


def test_signing_fires_the_document_signed_hook(personas, author, monkeypatch):
    from records import hooks

    seen = []
    monkeypatch.setitem(hooks._handlers, hooks.DOCUMENT_SIGNED, [lambda **kw: seen.append(kw)])
    document = make_document(personas.facility, author=author)
    response = api_client(author.user).post(api_url(document, "sign/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed"
    assert seen and seen[0]["document"].pk == document.pk


def test_filters_by_type_encounter_status_and_dates(personas):
    patient = PatientFactory(facility=personas.facility)
    encounter = make_encounter(patient)
    hp = make_document(
        personas.facility,
        patient=patient,
        encounter=encounter,
        doc_type="hp",
        service_date=dt.date(2026, 1, 1),
    )
    make_document(personas.facility, patient=patient, service_date=dt.date(2026, 2, 1))
    client = api_client(personas.writer)

    def ids(**params):
        return [d["id"] for d in results(client.get(API_LIST, params))]

    assert ids(doc_type="hp") == [str(hp.public_id)]
    assert ids(encounter=str(encounter.public_id)) == [str(hp.public_id)]
    assert ids(service_date_before="2026-01-15") == [str(hp.public_id)]
    assert len(ids(status="draft")) == 2
    response = client.get(API_LIST, {"service_date_after": "nonsense"})
    assert response.status_code == 400


def test_chart_lists_the_patients_documents_and_trails_them(personas, trail_watch):
    document = make_document(personas.facility, title="Chart note")
    hidden = make_document(personas.facility, patient=document.patient)
    services.document_mark_entered_in_error(document=hidden, user=None, reason="Duplicate")
    trail_watch.mark()
    response = web_client(personas.writer).get(
        f"/records/patients/{document.patient.enterprise_id}/"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(f"/records/documents/{document.public_id}/") == 1
    assert str(hidden.public_id) not in page
    row = trail_watch.one(action=Action.READ, object_type="records.document")
    assert orjson.loads(row.detail)["shown"] == [str(document.public_id)]
    assert row.patient_id == document.patient_id


def test_html_add_version_keeps_the_old_one(personas, author):
    document = make_document(personas.facility, author=author, text="First.")
    services.document_sign(document=document, provider=author, user=author.user)
    response = web_client(personas.writer).post(
        page_url(document, "versions/add/"),
        {"kind": "addendum", "reason": "Late result", "text": "First. Addendum: culture negative."},
    )
    assert response.status_code == 302
    assert list(document.versions.values_list("number", "text")) == [
        (1, "First."),
        (2, "First. Addendum: culture negative."),
    ]
    response = web_client(personas.writer).post(
        page_url(document, "versions/add/"), {"kind": "addendum", "reason": "", "text": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]


def test_schema_stays_valid(personas):
    response = web_client(personas.writer).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/records/documents/{id}/versions/" in paths
    assert "/api/v1/records/scan-uploads/{id}/index/" in paths


def test_every_documents_screen_renders(personas, author):
    document = make_document(personas.facility, author=author)
    scan = scan_upload_create(
        facility=personas.facility, user=None, file=upload("s.tif", tiff_bytes(2), "image/tiff")
    )
    eid = document.patient.enterprise_id
    tech = web_client(personas.writer)
    for url in (
        f"/records/documents/add/?patient={eid}",
        f"{LIST}?patient={eid}&show_entered_in_error=on",
        page_url(document),
        page_url(document, "edit/"),
        page_url(document, "versions/"),
        page_url(document, "versions/add/"),
        page_url(document, "entered-in-error/"),
        "/records/transcription/",
        f"/records/transcription/new/?patient={eid}&doc_type=discharge",
        "/records/scans/",
        "/records/scans/upload/",
        f"/records/scans/{scan.public_id}/",
        "/",
    ):
        response = tech.get(url)
        assert response.status_code == 200, url
    home = tech.get("/").content.decode()
    assert "Scanning queue" in home and "Transcription" in home
    doctor = web_client(author.user)
    assert doctor.get("/records/signatures/").status_code == 200
    assert "Signature queue" in doctor.get("/").content.decode()
    assert "Sign version 1" in doctor.get(page_url(document)).content.decode()
