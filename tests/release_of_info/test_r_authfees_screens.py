"""The authfees screens: panel, authorization forms, upload, revoke, identity, 164.512
basis, signed-form download, fee set-up (manager only), invoice actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from r_authfees_support import (
    TODAY,
    access_request,
    complete_authorization,
    make_document,
    make_request,
    pdf_upload,
)

from him import roles
from him.testing.personas import Personas, web_client
from him.trail import Action
from records.models import Sensitivity
from release_of_info import panels
from release_of_info.models import (
    Authorization,
    DisclosureBasis,
    FeePolicy,
    FeeSchedule,
    Invoice,
    ROIRequest,
)
from release_of_info.services import authfees_fees as fees

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    p = Personas.create(writer_role=roles.ROI_SPECIALIST)
    p.manager = p.privileged(roles.HIM_MANAGER)
    return p


@pytest.fixture
def roi(people):
    return make_request(people.facility)


def _panel(key):
    return next(p for p in panels._panels.values() if p.key == key)


def test_panels_are_registered_for_the_roles_that_see_them(people):
    keys = [p.key for p in panels.for_user(people.writer)]
    assert "authorization" in keys and "fees" in keys
    assert panels.for_user(people.no_role) == []


def test_authorization_panel_context_lists_each_element_and_the_reasons(people, roi):
    complete_authorization(roi, states_conditioning=False, signed_by_representative=True)
    request = RequestFactory().get("/")
    request.user = people.writer
    data = _panel("authorization").context(request=request, roi=roi)
    assert not data["verdict"].valid
    [row] = data["authorizations"]
    missing = [c["label"] for c in row["checklist"] if not c["ok"]]
    assert missing == ["Representative's authority", "Statement: conditioning on signing"]
    assert any("conditioned on signing" in r for r in data["verdict"].reasons)
    assert data["can_add"] and data["can_change"]


def test_request_authorization_page_shows_verdict_and_fees(people, roi):
    complete_authorization(roi, expires_on=TODAY - dt.timedelta(days=1))
    make_document(roi.patient, pages=3)
    response = web_client(people.writer).get(f"/roi/requests/{roi.public_id}/authorization/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not yet:" in body and "Expired on" in body
    assert "Estimate before work starts, for 3 pages" in body


def test_request_page_out_of_scope_is_404(people):
    other = make_request(people.other_facility)
    response = web_client(people.writer).get(f"/roi/requests/{other.public_id}/authorization/")
    assert response.status_code == 404


def _form(roi, **extra):
    data = {
        "kind": "standard",
        "description": "Discharge summaries of 2026",
        "disclosing_party": "In-scope Hospital",
        "recipient_name": roi.requester.name,
        "purpose": roi.purpose,
        "expires_on": (TODAY + dt.timedelta(days=30)).isoformat(),
        "signed_by_name": "Nora Authfam",
        "signed_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "states_right_to_revoke": "on",
        "states_conditioning": "on",
        "states_redisclosure": "on",
        "category_choices": [str(Sensitivity.HIV.value)],
    }
    data.update(extra)
    return data


def test_create_an_authorization_with_its_signed_form(people, roi, trail_watch):
    client = web_client(people.writer)
    url = f"/roi/requests/{roi.public_id}/authorizations/new/"
    assert client.get(url).status_code == 200
    response = client.post(url, _form(roi, upload=pdf_upload()))
    assert response.status_code == 302, response.context["form"].errors
    auth = Authorization.objects.get(request=roi)
    assert auth.file and auth.content_type == "application/pdf" and auth.sha256
    assert auth.categories == Sensitivity.HIV
    assert auth.recipient == roi.requester  # linked: the form names the requester
    assert auth.created_by == people.writer
    trail_watch.one(action=Action.CREATE, object_type="release_of_info.authorization")
    from release_of_info.services.authorization import verdict

    assert verdict(roi).valid


def test_a_file_that_is_not_a_pdf_or_image_is_refused_and_nothing_saved(people, roi):
    bad = SimpleUploadedFile("form.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = web_client(people.writer).post(
        f"/roi/requests/{roi.public_id}/authorizations/new/", _form(roi, upload=bad)
    )
    assert response.status_code == 200
    assert "not a PDF, TIFF, JPEG or PNG" in response.content.decode()
    assert not Authorization.objects.exists()


def test_signature_date_in_the_future_is_refused(people, roi):
    response = web_client(people.writer).post(
        f"/roi/requests/{roi.public_id}/authorizations/new/",
        _form(roi, signed_on=(TODAY + dt.timedelta(days=3)).isoformat()),
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()


def test_auditor_cannot_record_an_authorization(people, roi):
    response = web_client(people.reader).post(
        f"/roi/requests/{roi.public_id}/authorizations/new/", _form(roi)
    )
    assert response.status_code == 403
    assert not Authorization.objects.exists()


def test_create_for_a_request_out_of_scope_is_404(people):
    other = make_request(people.other_facility)
    response = web_client(people.writer).post(
        f"/roi/requests/{other.public_id}/authorizations/new/", _form(other)
    )
    assert response.status_code == 404
    assert not Authorization.objects.exists()


def test_upload_then_download_the_signed_form_is_trailed(people, roi, trail_watch):
    auth = complete_authorization(roi, with_file=False)
    client = web_client(people.writer)
    response = client.post(
        f"/roi/authorizations/{auth.public_id}/upload/", {"upload": pdf_upload(pages=2)}
    )
    assert response.status_code == 302
    auth.refresh_from_db()
    assert auth.page_count == 2
    trail_watch.mark()
    response = client.get(f"/roi/authorizations/{auth.public_id}/file/?download=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    row = trail_watch.one(action=Action.EXPORT, object_type="release_of_info.authorization")
    assert row.patient_id == roi.patient_id


def test_signed_form_out_of_scope_is_404(people):
    auth = complete_authorization(make_request(people.other_facility))
    assert (
        web_client(people.writer).get(f"/roi/authorizations/{auth.public_id}/file/").status_code
        == 404
    )


def test_revoke_makes_the_request_invalid(people, roi):
    auth = complete_authorization(roi)
    client = web_client(people.writer)
    response = client.post(
        f"/roi/authorizations/{auth.public_id}/revoke/",
        {"revoked_on": TODAY.isoformat(), "note": "Letter received"},
    )
    assert response.status_code == 302
    auth.refresh_from_db()
    assert auth.revoked_on == TODAY and auth.revocation_received_by == people.writer
    from release_of_info.services.authorization import verdict

    assert any("Revoked on" in r for r in verdict(roi).reasons)
    # A second revocation is refused with a message, nothing changed.
    response = client.post(
        f"/roi/authorizations/{auth.public_id}/revoke/", {"revoked_on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert "Already revoked" in response.content.decode()


def test_identity_verification_shortcut(people):
    roi = access_request(people.facility)
    response = web_client(people.writer).post(
        f"/roi/requests/{roi.public_id}/identity/", {"method": "Photo ID seen at the desk"}
    )
    assert response.status_code == 302
    roi.refresh_from_db()
    assert roi.identity_verified_by == people.writer
    assert roi.identity_method == "Photo ID seen at the desk"


def test_identity_needs_a_method(people):
    roi = access_request(people.facility)
    response = web_client(people.writer).post(f"/roi/requests/{roi.public_id}/identity/", {})
    assert response.status_code == 200
    roi.refresh_from_db()
    assert roi.identity_verified_at is None


def test_record_a_court_order_basis(people, roi):
    response = web_client(people.writer).post(
        f"/roi/requests/{roi.public_id}/disclosure-basis/",
        {
            "basis": DisclosureBasis.Basis.COURT_ORDER,
            "reference": "Case 26-CV-7",
            "upload": pdf_upload("order.pdf"),
        },
    )
    assert response.status_code == 302
    basis = DisclosureBasis.objects.get(request=roi)
    assert basis.file and basis.recorded_by == people.writer
    from release_of_info.services.authorization import verdict

    assert verdict(roi).valid


# Fees ---------------------------------------------------------------------------------------


def test_fee_set_up_is_the_managers(people):
    url = "/roi/fees/schedules/new/"
    data = {
        "facility": people.facility.pk,
        "requester_type": "attorney",
        "base_fee": "20",
        "per_page": "0.5",
        "postage": "2",
        "active": "on",
        "tiers_text": "10:1.00, *:0.50",
    }
    assert web_client(people.writer).post(url, data).status_code == 403
    assert web_client(people.writer).get("/roi/fees/").status_code == 200  # may read
    response = web_client(people.manager).post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    schedule = FeeSchedule.objects.get()
    assert schedule.tiers == [
        {"up_to": 10, "per_page": "1.00"},
        {"up_to": None, "per_page": "0.50"},
    ]


def test_patient_schedule_is_not_offered_and_bad_tiers_explained(people):
    response = web_client(people.manager).post(
        "/roi/fees/schedules/new/",
        {
            "facility": people.facility.pk,
            "requester_type": "patient",
            "base_fee": "5",
            "per_page": "0",
            "postage": "0",
            "tiers_text": "ten:1",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "requester_type" in errors and "tiers_text" in errors
    assert not FeeSchedule.objects.exists()


def test_manager_sets_the_facility_access_policy(people):
    url = f"/roi/fees/policy/{people.facility.code}/"
    data = {
        "access_method": "flat",
        "flat_fee": "6.50",
        "labor_per_page": "0.10",
        "paper_per_page": "0.05",
        "media_fee": "2",
        "postage": "1.5",
    }
    assert web_client(people.writer).post(url, data).status_code == 403
    assert web_client(people.manager).post(url, data).status_code == 302
    assert FeePolicy.objects.get(facility=people.facility).access_method == "flat"
    # A facility the manager does not reach is 404.
    other = f"/roi/fees/policy/{people.other_facility.code}/"
    assert web_client(people.manager).get(other).status_code == 404


def test_fees_panel_estimate_then_invoice_actions(people, roi):
    FeeSchedule.objects.create(
        facility=people.facility, requester_type="attorney", base_fee=Decimal("10")
    )
    request = RequestFactory().get("/")
    request.user = people.writer
    data = _panel("fees").context(request=request, roi=roi)
    assert data["invoice"] is None and data["estimate"].total == Decimal("10.00")
    invoice = fees.invoice_for_packet(request=roi, pages=3)
    data = _panel("fees").context(request=request, roi=roi)
    assert data["invoice"] == invoice and data["can_settle"]
    client = web_client(people.writer)
    response = client.post(f"/roi/invoices/{invoice.public_id}/waive/", {"reason": ""})
    assert response.status_code == 200  # re-shown: the reason is required
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    response = client.post(f"/roi/invoices/{invoice.public_id}/paid/", {"reference": "Card 77"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_reference) == ("paid", "Card 77")
    assert (
        client.post(f"/roi/invoices/{invoice.public_id}/waive/", {"reason": "x"}).status_code == 200
    )


def test_auditor_cannot_settle_an_invoice(people, roi):
    invoice = fees.invoice_for_packet(request=roi, pages=1)
    response = web_client(people.reader).post(f"/roi/invoices/{invoice.public_id}/paid/", {})
    assert response.status_code == 403


def test_other_requester_types_untouched_by_access_policy(people):
    """A representative asking for the patient's own records is right of access too."""
    from r_authfees_support import make_requester

    rep = make_requester("representative", name="Parent of minor")
    roi = make_request(people.facility, requester=rep, purpose=ROIRequest.Purpose.PERSONAL)
    FeePolicy.objects.create(facility=people.facility, access_method="flat")
    assert fees.estimate(roi).total == Decimal("6.50")


def test_an_encounter_id_beyond_any_column_is_a_form_error_not_a_500(specialist, facility):
    # SQLite cannot even compare an integer beyond 64 bits: the choice is refused first.
    auth = complete_authorization(make_request(facility))
    before = (auth.description, list(auth.encounters.all()))
    response = web_client(specialist).post(
        f"/roi/authorizations/{auth.public_id}/edit/",
        {
            "kind": "standard",
            "description": "Changed",
            "purpose": auth.purpose,
            "signed_by_name": auth.signed_by_name,
            "signed_on": auth.signed_on.isoformat(),
            "encounters": ["99999999999999999999"],
        },
    )
    assert response.status_code == 200
    assert "is not a valid value" in response.context["form"].errors["encounters"][0]
    auth.refresh_from_db()
    assert (auth.description, list(auth.encounters.all())) == before
