"""Scanning intake: uploads checked by content, the facility queue, indexing to a
patient (a document with the scan as its file), rejecting, and duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from documents_support import EXE_BYTES, PatientFactory, pdf_bytes, tiff_bytes, upload

from him import roles
from him.testing.mixins import PolicyContract, error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action
from records.models import Document, ScanUpload
from records.services.scanning import scan_upload_create

LIST = "/records/scans/"
API_LIST = "/api/v1/records/scan-uploads/"


def make_scan(facility, data: bytes | None = None, name: str = "scan.pdf") -> ScanUpload:
    return scan_upload_create(facility=facility, user=None, file=upload(name, data or pdf_bytes()))


class TestScanUploadContract(PolicyContract):
    model = ScanUpload
    reader_role = roles.HIM_MANAGER  # sees the backlog, does not index
    list_url = LIST
    create_url = "/records/scans/upload/"
    api_list_url = API_LIST

    def make(self, facility):
        return make_scan(facility)

    def detail_url(self, obj):
        return f"{LIST}{obj.public_id}/"

    def api_detail_url(self, obj):
        return f"{API_LIST}{obj.public_id}/"

    def search_params(self, obj):
        return {"facility": obj.facility.code}

    def form_data(self, facility, obj=None):
        return {"facility": facility.pk, "files": [upload("page1.pdf", pdf_bytes())]}

    def test_api_delete_writes_a_delete_row(self, deleter, inside, trail_watch):
        """Scans are rejected, never deleted."""
        response = api_client(deleter).delete(f"{API_LIST}{inside.public_id}/")
        assert response.status_code == 405
        assert "reject" in error_message(response)
        assert ScanUpload.objects.filter(pk=inside.pk).exists()


def test_multi_file_upload_fills_the_queue(personas):
    files = [upload("a.pdf", pdf_bytes(2)), upload("b.tif", tiff_bytes(3), "image/tiff")]
    response = web_client(personas.writer).post(
        "/records/scans/upload/", {"facility": personas.facility.pk, "files": files}
    )
    assert response.status_code == 302
    pages = dict(ScanUpload.objects.values_list("file_name", "page_count"))
    assert pages == {"a.pdf": 2, "b.tif": 3}
    queue = web_client(personas.writer).get(LIST)
    assert {s.file_name for s in queue.context["object_list"]} == {"a.pdf", "b.tif"}


def test_a_disguised_file_in_a_batch_refuses_the_batch(personas):
    files = [upload("a.pdf", pdf_bytes()), upload("setup.pdf", EXE_BYTES)]
    response = web_client(personas.writer).post(
        "/records/scans/upload/", {"facility": personas.facility.pk, "files": files}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert any("setup.pdf" in e and "not a PDF" in e for e in errors)
    assert not ScanUpload.objects.exists()


def test_api_upload_checks_content(personas):
    client = api_client(personas.writer)
    body = {"facility": personas.facility.code, "file": upload("x.pdf", EXE_BYTES)}
    response = client.post(API_LIST, body, format="multipart")
    assert response.status_code == 400
    assert "not a PDF" in error_message(response)
    body = {"facility": personas.facility.code, "file": upload("x.pdf", pdf_bytes(2))}
    response = client.post(API_LIST, body, format="multipart")
    assert response.status_code == 201, response.content
    assert (response.json()["page_count"], response.json()["status"]) == (2, "unindexed")
    # Another facility's code is not one the caller may upload to.
    body = {"facility": personas.other_facility.code, "file": upload("y.pdf", pdf_bytes())}
    response = client.post(API_LIST, body, format="multipart")
    assert response.status_code == 400
    assert "facility" in response.json()["error"]["fields"]


def test_index_files_a_document_with_the_scan(personas, trail_watch):
    data = pdf_bytes(2)
    scan = make_scan(personas.facility, data)
    patient = PatientFactory(facility=personas.facility)
    response = web_client(personas.writer).post(
        f"{LIST}{scan.public_id}/",
        {
            "patient": patient.enterprise_id,
            "doc_type": "outside",
            "service_date": "2026-01-20",
            "index": "1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    scan.refresh_from_db()
    assert scan.status == ScanUpload.Status.INDEXED
    document = Document.objects.get(patient=patient)
    assert scan.document == document
    version = document.current_version
    assert (version.page_count, version.sha256) == (2, scan.sha256)
    assert version.file.read() == data
    assert document.service_date == dt.date(2026, 1, 20)
    trail_watch.one(action=Action.CREATE, object_type="records.document")
    # The scan left the queue.
    assert list(web_client(personas.writer).get(LIST).context["object_list"]) == []


def test_index_through_the_api_and_reject(personas):
    scan = make_scan(personas.facility)
    patient = PatientFactory(facility=personas.facility)
    client = api_client(personas.writer)
    response = client.post(
        f"{API_LIST}{scan.public_id}/index/",
        {"patient": patient.enterprise_id, "service_date": "2026-01-02"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["doc_type"] == "outside"
    response = client.post(
        f"{API_LIST}{scan.public_id}/index/",
        {"patient": patient.enterprise_id, "service_date": "2026-01-02"},
        format="json",
    )
    assert response.status_code == 400
    assert "already indexed" in error_message(response)
    other = make_scan(personas.facility, tiff_bytes(1), "blank.tif")
    response = client.post(f"{API_LIST}{other.public_id}/reject/", {"reason": ""}, format="json")
    assert response.status_code == 400
    response = client.post(
        f"{API_LIST}{other.public_id}/reject/", {"reason": "Blank page"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert results(client.get(API_LIST)) == []


def test_index_to_a_patient_of_another_facility_is_refused(personas):
    from him.testing.factories import grant_facility

    grant_facility(personas.writer, personas.other_facility)
    scan = make_scan(personas.facility)
    elsewhere = PatientFactory(facility=personas.other_facility)
    response = api_client(personas.writer).post(
        f"{API_LIST}{scan.public_id}/index/",
        {"patient": elsewhere.enterprise_id, "service_date": "2026-01-02"},
        format="json",
    )
    assert response.status_code == 400
    assert "not registered at the facility" in error_message(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize("via", ["api", "form"])
def test_duplicate_scan_warns(personas, via):
    data = pdf_bytes(1)
    first = make_scan(personas.facility, data)
    patient = PatientFactory(facility=personas.facility)
    api_client(personas.writer).post(
        f"{API_LIST}{first.public_id}/index/",
        {"patient": patient.enterprise_id, "service_date": "2026-01-02"},
        format="json",
    )
    if via == "api":
        response = api_client(personas.writer).post(
            API_LIST,
            {"facility": personas.facility.code, "file": upload("again.pdf", data)},
            format="multipart",
        )
        assert response.status_code == 201
        assert "same content as a scan already indexed" in response.json()["duplicate_warning"]
    else:
        response = web_client(personas.writer).post(
            "/records/scans/upload/",
            {"facility": personas.facility.pk, "files": [upload("again.pdf", data)]},
            follow=True,
        )
        assert "same content as a scan already indexed" in response.content.decode()
    again = ScanUpload.objects.get(file_name="again.pdf")
    page = web_client(personas.writer).get(f"{LIST}{again.public_id}/")
    assert "same content as a scan already indexed" in page.content.decode()


def test_scan_content_is_served_through_the_policy(personas, trail_watch):
    scan = make_scan(personas.facility)
    response = web_client(personas.writer).get(f"{LIST}{scan.public_id}/content/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    trail_watch.one(action=Action.READ, object_type="records.scanupload")
    assert web_client(personas.outsider).get(f"{LIST}{scan.public_id}/content/").status_code == 404
