"""The release part over the API: the generic policy contract, release with the link
returned once, and the accounting endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
import r_release_support as s
from django.utils import timezone

from him import roles
from him.testing.factories import FacilityFactory, UserFactory
from him.testing.mixins import PolicyContract, error_message
from him.testing.personas import api_client, web_client
from release_of_info.models import AccountingRequest, Delivery, Disclosure
from release_of_info.services import disclosures as accounting

TODAY = timezone.localdate


class TestDisclosurePolicy(PolicyContract):
    model = Disclosure
    writer_role = roles.ROI_SPECIALIST
    reader_role = roles.AUDITOR
    list_url = "/roi/disclosures/"
    api_list_url = "/api/v1/roi/disclosures/"

    def make(self, facility):
        return accounting.disclosure_record(
            patient=s.patient(facility),
            user=None,
            disclosed_on=TODAY() - dt.timedelta(days=3),
            recipient_name="State Health Department",
            description="Culture results",
            purpose="Reportable condition",
            basis="public_health",
        )

    def api_detail_url(self, obj):
        return f"/api/v1/roi/disclosures/{obj.public_id}/"

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}

    def create_payload(self, facility):
        return {
            "patient": s.patient(facility).enterprise_id,
            "disclosed_on": TODAY().isoformat(),
            "recipient_name": "County Coroner",
            "description": "Autopsy-relevant history",
            "purpose": "Death investigation",
            "basis": "decedents",
        }


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_release_rules")]


def test_release_over_the_api_returns_the_link_once(facility, specialist):
    request = s.roi(facility)
    s.packet(request)
    client = api_client(specialist)
    response = client.post(
        "/api/v1/roi/deliveries/release/",
        {"request": str(request.public_id), "method": "secure_link", "max_downloads": 1},
        format="json",
    )
    assert response.status_code == 201, response.content
    link = response.json()["link"]
    assert link.startswith("http://testserver/roi/d/")
    delivery = client.get(f"/api/v1/roi/deliveries/{Delivery.objects.get().public_id}/").json()
    assert "link" not in delivery and delivery["state"] == "active"
    assert web_client().post(link.removeprefix("http://testserver")).status_code == 200
    again = client.get(f"/api/v1/roi/deliveries/{Delivery.objects.get().public_id}/").json()
    assert again["state"] == "download limit reached"


def test_release_before_quality_check_is_a_clear_400(facility, specialist):
    request = s.roi(facility, status="in_process")
    response = api_client(specialist).post(
        "/api/v1/roi/deliveries/release/",
        {"request": str(request.public_id), "method": "secure_link"},
        format="json",
    )
    assert response.status_code == 400
    assert "quality check" in error_message(response)
    assert not Delivery.objects.exists()


def test_release_of_a_request_out_of_reach_is_refused_like_it_does_not_exist(specialist):
    other = s.roi(FacilityFactory())
    s.packet(other)
    response = api_client(specialist).post(
        "/api/v1/roi/deliveries/release/",
        {"request": str(other.public_id), "method": "secure_link"},
        format="json",
    )
    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_accounting_request_over_the_api(facility, specialist):
    patient = s.patient(facility)
    accounting.disclosure_record(
        patient=patient,
        user=specialist,
        disclosed_on=TODAY() - dt.timedelta(days=10),
        recipient_name="State Health Department",
        description="Culture results",
        purpose="Reportable condition",
        basis="public_health",
    )
    client = api_client(specialist)
    created = client.post(
        "/api/v1/roi/accounting-requests/",
        {"patient": patient.enterprise_id, "requester_name": "Iris", "received_on": "2026-12-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["due_on"] == "2027-01-30" and body["fee"] == "0.00"
    url = f"/api/v1/roi/accounting-requests/{body['public_id']}/"
    bad = client.post(url + "extend/", {"notice_on": "2027-03-01", "reason": "x"}, format="json")
    assert bad.status_code == 400
    provided = client.post(url + "provide/")
    assert provided.status_code == 200 and provided.json()["entries"] == 1
    pdf = client.get(url + "pdf/")
    assert pdf.status_code == 200
    assert "State Health Department" in s.pdf_text(b"".join(pdf.streaming_content))
    assert AccountingRequest.objects.get().status == "provided"


def test_a_suspension_over_the_api_refuses_an_oral_statement_beyond_30_days(facility):
    officer = UserFactory(roles=[roles.PRIVACY_OFFICER], facilities=[facility])
    patient = s.patient(facility)
    response = api_client(officer).post(
        "/api/v1/roi/accounting-suspensions/",
        {
            "patient": patient.enterprise_id,
            "agency": "FBI",
            "form": "oral",
            "reason": "Investigation",
            "starts_on": "2026-12-01",
            "ends_on": "2027-02-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "written statement" in error_message(response)
