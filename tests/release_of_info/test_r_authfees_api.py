"""The authfees API: authorizations with the verdict, upload/file/revoke, invoices,
estimate and verdict of a request, fee schedules for the manager only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from r_authfees_support import (
    TODAY,
    complete_authorization,
    make_document,
    make_request,
    pdf_upload,
)

from him import roles
from him.testing.mixins import error_message
from him.testing.personas import Personas, api_client
from him.trail import Action
from records.models import Sensitivity
from release_of_info.models import FeeSchedule, Invoice
from release_of_info.services import authfees_fees as fees

pytestmark = pytest.mark.django_db
API = "/api/v1/roi"


@pytest.fixture
def people(db):
    p = Personas.create(writer_role=roles.ROI_SPECIALIST)
    p.manager = p.privileged(roles.HIM_MANAGER)
    return p


@pytest.fixture
def roi(people):
    return make_request(people.facility)


def test_authorization_payload_carries_the_verdict_and_problems(people, roi):
    auth = complete_authorization(roi, states_redisclosure=False, categories=Sensitivity.HIV)
    response = api_client(people.reader).get(f"{API}/authorizations/{auth.public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"]["valid"] is False
    assert any("redisclosed" in r for r in body["verdict"]["reasons"])
    assert any("redisclosed" in p for p in body["problems"])
    assert body["categories"] == ["hiv"] and body["has_file"] is True


def test_list_filtered_by_request(people, roi):
    mine = complete_authorization(roi)
    complete_authorization(make_request(people.facility))
    client = api_client(people.writer)
    response = client.get(f"{API}/authorizations/", {"request": str(roi.public_id)})
    assert [a["public_id"] for a in response.json()["results"]] == [str(mine.public_id)]
    response = client.get(f"{API}/authorizations/", {"request": "not-a-uuid"})
    assert response.status_code == 400
    assert "UUID" in error_message(response)


def test_create_validates_dates_types_and_categories(people, roi):
    client = api_client(people.writer)
    body = {
        "request": str(roi.public_id),
        "document_types": ["discharge", "xray"],
        "categories": ["hiv", "astrology"],
        "date_from": "2026-03-01",
        "date_to": "2026-01-01",
    }
    response = client.post(f"{API}/authorizations/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "document_types" in fields and "categories" in fields


def test_create_for_a_request_out_of_reach_is_refused(people):
    other = make_request(people.other_facility)
    response = api_client(people.writer).post(
        f"{API}/authorizations/", {"request": str(other.public_id)}, format="json"
    )
    assert response.status_code == 400
    assert "request" in response.json()["error"]["fields"]


def test_upload_file_and_revoke_through_the_api(people, roi, trail_watch):
    auth = complete_authorization(roi, with_file=False)
    client = api_client(people.writer)
    bad = client.post(
        f"{API}/authorizations/{auth.public_id}/upload/",
        {"file": pdf_upload("x.pdf").__class__("x.pdf", b"plain text")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert "not a PDF" in error_message(bad)
    ok = client.post(
        f"{API}/authorizations/{auth.public_id}/upload/",
        {"file": pdf_upload()},
        format="multipart",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["has_file"] and ok.json()["verdict"]["valid"]
    trail_watch.mark()
    download = client.get(f"{API}/authorizations/{auth.public_id}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    trail_watch.one(action=Action.EXPORT, object_type="release_of_info.authorization")
    future = client.post(
        f"{API}/authorizations/{auth.public_id}/revoke/",
        {"revoked_on": (TODAY + dt.timedelta(days=2)).isoformat()},
        format="json",
    )
    assert future.status_code == 400 and "future" in error_message(future)
    revoked = client.post(
        f"{API}/authorizations/{auth.public_id}/revoke/",
        {"revoked_on": TODAY.isoformat(), "note": "Phoned, then letter"},
        format="json",
    )
    assert revoked.status_code == 200
    assert revoked.json()["verdict"]["valid"] is False


def test_reader_cannot_upload_or_revoke(people, roi):
    auth = complete_authorization(roi)
    client = api_client(people.reader)
    response = client.post(
        f"{API}/authorizations/{auth.public_id}/revoke/",
        {"revoked_on": TODAY.isoformat()},
        format="json",
    )
    assert response.status_code == 403


def test_request_verdict_and_estimate_endpoints(people, roi):
    make_document(roi.patient, pages=4)
    FeeSchedule.objects.create(
        facility=people.facility, requester_type="attorney", per_page=Decimal("0.50")
    )
    client = api_client(people.reader)
    verdict = client.get(f"{API}/requests/{roi.public_id}/verdict/").json()
    assert verdict["valid"] is False and "No authorization on file" in verdict["reasons"][0]
    estimate = client.get(f"{API}/requests/{roi.public_id}/fee-estimate/").json()
    assert estimate["pages"] == 4 and Decimal(estimate["total"]) == Decimal("2.00")
    other = make_request(people.other_facility)
    assert client.get(f"{API}/requests/{other.public_id}/verdict/").status_code == 404
    assert client.get(f"{API}/requests/{other.public_id}/fee-estimate/").status_code == 404


def test_invoices_read_paid_and_waived(people, roi):
    invoice = fees.invoice_for_packet(request=roi, pages=2)
    other = fees.invoice_for_packet(request=make_request(people.facility), pages=1)
    client = api_client(people.writer)
    listed = client.get(f"{API}/invoices/").json()["results"]
    assert {i["number"] for i in listed} == {invoice.number, other.number}
    no_reason = client.post(f"{API}/invoices/{invoice.public_id}/waive/", {}, format="json")
    assert no_reason.status_code == 400
    waived = client.post(
        f"{API}/invoices/{invoice.public_id}/waive/", {"reason": "Hardship"}, format="json"
    )
    assert waived.status_code == 200 and waived.json()["status"] == "waived"
    again = client.post(f"{API}/invoices/{invoice.public_id}/paid/", {}, format="json")
    assert again.status_code == 400 and "already waived" in error_message(again)
    paid = client.post(
        f"{API}/invoices/{other.public_id}/paid/", {"reference": "Check 12"}, format="json"
    )
    assert paid.json()["status"] == "paid"
    assert Invoice.objects.get(pk=other.pk).status_by == people.writer
    assert (
        api_client(people.reader)
        .post(f"{API}/invoices/{other.public_id}/waive/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )


def test_invoice_out_of_scope_is_404(people):
    invoice = fees.invoice_for_packet(request=make_request(people.other_facility), pages=1)
    assert api_client(people.writer).get(f"{API}/invoices/{invoice.public_id}/").status_code == 404


def test_fee_schedules_written_by_the_manager_only(people):
    body = {"facility": people.facility.code, "requester_type": "payer", "base_fee": "5"}
    denied = api_client(people.writer).post(f"{API}/fee-schedules/", body, format="json")
    assert denied.status_code == 403
    assert api_client(people.writer).get(f"{API}/fee-schedules/").status_code == 200
    manager = api_client(people.manager)
    created = manager.post(
        f"{API}/fee-schedules/",
        {**body, "tiers": [{"up_to": 10, "per_page": "1"}, {"up_to": None, "per_page": "0.5"}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    dup = manager.post(f"{API}/fee-schedules/", body, format="json")
    assert dup.status_code == 400 and "already has a schedule" in error_message(dup)
    patient = manager.post(
        f"{API}/fee-schedules/", {**body, "requester_type": "patient"}, format="json"
    )
    assert patient.status_code == 400
    bad_tiers = manager.post(
        f"{API}/fee-schedules/",
        {
            **body,
            "requester_type": "attorney",
            "tiers": [{"up_to": None, "per_page": "1"}, {"up_to": 5, "per_page": "1"}],
        },
        format="json",
    )
    assert bad_tiers.status_code == 400 and "open-ended" in error_message(bad_tiers)


def test_openapi_documents_the_authfees_endpoints(people):
    schema = api_client(people.writer).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for p in (
        "/api/v1/roi/authorizations/",
        "/api/v1/roi/authorizations/{public_id}/upload/",
        "/api/v1/roi/authorizations/{public_id}/file/",
        "/api/v1/roi/authorizations/{public_id}/revoke/",
        "/api/v1/roi/fee-schedules/",
        "/api/v1/roi/invoices/{public_id}/waive/",
        "/api/v1/roi/requests/{public_id}/verdict/",
        "/api/v1/roi/requests/{public_id}/fee-estimate/",
    ):
        assert p in paths, p
