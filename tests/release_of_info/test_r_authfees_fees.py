"""Fees: the patient's cost-based or flat copy, schedules per requester type, invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from r_authfees_support import access_request, make_document, make_request, make_requester

from him.testing.factories import FacilityFactory, UserFactory
from release_of_info import hooks
from release_of_info.models import FeePolicy, FeeSchedule, Invoice, Requester, ROIRequest
from release_of_info.services import authfees_fees as fees

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def facility():
    return FacilityFactory(code="FEES")


def labels(fee):
    return " | ".join(label for label, _ in fee.lines)


def test_cost_based_access_copy_charges_labour_supplies_postage_never_search(facility):
    FeePolicy.objects.create(
        facility=facility,
        access_method=FeePolicy.Method.COST_BASED,
        labor_per_page=D("0.10"),
        paper_per_page=D("0.05"),
        postage=D("1.50"),
    )
    roi = access_request(
        facility, format=ROIRequest.Format.PAPER, delivery=ROIRequest.Delivery.MAIL
    )
    make_document(roi.patient, pages=30)
    make_document(roi.patient, pages=10)
    fee = fees.estimate(roi)
    assert fee.pages == 40
    assert fee.lines == [
        ("Labour for copying, 40 page(s) × $0.10", D("4.00")),
        ("Paper and toner, 40 page(s) × $0.05", D("2.00")),
        ("Postage", D("1.50")),
    ]
    assert fee.total == D("7.50")
    assert "search" not in labels(fee).lower() and "retrieval" not in labels(fee).lower()


def test_flat_fee_for_an_electronic_access_copy(facility):
    FeePolicy.objects.create(facility=facility, access_method=FeePolicy.Method.FLAT)
    roi = access_request(facility)
    make_document(roi.patient, pages=500)
    fee = fees.estimate(roi)
    assert fee.total == D("6.50")
    assert len(fee.lines) == 1 and "164.524(c)(4)" in fee.lines[0][0]


def test_flat_policy_still_cost_based_for_paper(facility):
    FeePolicy.objects.create(facility=facility, access_method=FeePolicy.Method.FLAT)
    roi = access_request(facility, format=ROIRequest.Format.PAPER)
    make_document(roi.patient, pages=4)
    assert "Labour for copying" in labels(fees.estimate(roi))


def test_schedule_is_never_applied_to_the_patient(facility):
    # Even a schedule for "patient" with a base (search) fee does not touch right of access.
    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.PATIENT, base_fee=D("25"), per_page=D("1")
    )
    roi = access_request(facility)
    make_document(roi.patient, pages=3)
    fee = fees.estimate(roi)
    assert "Base fee" not in labels(fee)
    assert fee.total == D("0.30")


def test_requester_type_schedule_with_base_fee_pages_and_postage(facility):
    FeeSchedule.objects.create(
        facility=facility,
        requester_type=Requester.Type.ATTORNEY,
        base_fee=D("25.00"),
        per_page=D("0.50"),
        postage=D("3.00"),
    )
    roi = make_request(facility, delivery=ROIRequest.Delivery.MAIL)
    make_document(roi.patient, pages=12)
    fee = fees.estimate(roi)
    assert fee.lines == [
        ("Base fee (search, retrieval, handling)", D("25.00")),
        ("12 page(s) × $0.50", D("6.00")),
        ("Postage", D("3.00")),
    ]
    assert fee.total == D("34.00")


def test_tiered_pages(facility):
    FeeSchedule.objects.create(
        facility=facility,
        requester_type=Requester.Type.PAYER,
        tiers=fees.parse_tiers("10:1.00, 30:0.50, *:0.25"),
    )
    roi = make_request(facility, requester=make_requester(Requester.Type.PAYER))
    fee = fees.fee_for(roi, 45)
    assert [amount for _, amount in fee.lines] == [D("10.00"), D("10.00"), D("3.75")]
    assert fee.total == D("23.75")


def test_bad_tiers_are_refused_with_a_message():
    with pytest.raises(ValidationError, match="write each tier as pages:rate"):
        fees.parse_tiers("10-1.00")
    with pytest.raises(ValidationError, match="must grow"):
        fees.parse_tiers("10:1, 5:0.5")
    with pytest.raises(ValidationError, match="only the last tier"):
        fees.parse_tiers("*:1, 10:0.5")


def test_no_schedule_means_no_charge_and_says_so(facility):
    roi = make_request(facility)
    fee = fees.fee_for(roi, 10)
    assert fee.total == 0 and "No fee schedule for attorney" in fee.note


def test_estimate_counts_the_chosen_pages(facility):
    from release_of_info.models import RequestDocument

    roi = make_request(facility)
    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.ATTORNEY, per_page=D("1")
    )
    doc = make_document(roi.patient, pages=20)
    make_document(roi.patient, pages=50)
    RequestDocument.objects.create(
        request=roi, document=doc, version=doc.current_version, pages=[1, 2, 3]
    )
    assert fees.estimate(roi).pages == 3


def test_invoice_hook_makes_then_refreshes_an_unpaid_invoice(facility):
    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.ATTORNEY, base_fee=D("10"), per_page=D("1")
    )
    roi = make_request(facility)
    [answer] = hooks.collect(hooks.INVOICE, request=roi, pages=5)
    assert answer["total"] == D("15.00") and answer["status"] == "unpaid"
    assert answer["lines"][0] == ("Base fee (search, retrieval, handling)", D("10.00"))
    invoice = Invoice.objects.get(request=roi)
    assert invoice.number.startswith("INV-") and invoice.pages == 5
    [again] = hooks.collect(hooks.INVOICE, request=roi, pages=7)
    assert again["total"] == D("17.00")
    assert Invoice.objects.count() == 1


def test_a_rebuild_with_the_same_pages_leaves_the_invoice_as_it_is(facility):
    from him.models import AccessEvent

    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.ATTORNEY, base_fee=D("10"), per_page=D("1")
    )
    roi = make_request(facility)
    hooks.collect(hooks.INVOICE, request=roi, pages=5)
    invoice = Invoice.objects.get(request=roi)
    events = AccessEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        [again] = hooks.collect(hooks.INVOICE, request=roi, pages=5)
    assert again["total"] == D("15.00") and again["number"] == invoice.number
    # Read, not locked: a row lock is a write (a log flush at commit on PostgreSQL).
    assert not [q for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(queries.captured_queries) == 2  # the fee schedule and the invoice
    assert AccessEvent.objects.count() == events  # no write, so no "invoice refreshed"
    hooks.collect(hooks.INVOICE, request=roi, pages=6)
    assert Invoice.objects.get(request=roi).total == D("16.00")
    assert AccessEvent.objects.count() == events + 1


def test_paid_invoice_is_not_changed_by_a_rebuild(facility):
    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.ATTORNEY, per_page=D("1")
    )
    roi = make_request(facility)
    invoice = fees.invoice_for_packet(request=roi, pages=4)
    clerk = UserFactory()
    fees.invoice_mark_paid(invoice=invoice, user=clerk, reference="Check 1001")
    [answer] = hooks.collect(hooks.INVOICE, request=roi, pages=9)
    assert answer["status"] == "paid" and answer["total"] == D("4.00")
    invoice.refresh_from_db()
    assert (invoice.status_by, invoice.payment_reference) == (clerk, "Check 1001")
    with pytest.raises(ValidationError, match="already paid"):
        fees.invoice_waive(invoice=invoice, user=clerk, reason="Hardship")


def test_waive_needs_a_reason(facility):
    roi = make_request(facility)
    invoice = fees.invoice_for_packet(request=roi, pages=1)
    clerk = UserFactory()
    with pytest.raises(ValidationError, match="reason"):
        fees.invoice_waive(invoice=invoice, user=clerk, reason="  ")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    fees.invoice_waive(invoice=invoice, user=clerk, reason="Financial hardship")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.status_reason, invoice.status_by) == (
        "waived",
        "Financial hardship",
        clerk,
    )
    assert invoice.status_at is not None


def test_estimate_leaves_out_pages_the_authorization_does_not_cover(facility):
    from r_authfees_support import complete_authorization

    from records.models import Document

    roi = make_request(facility)
    FeeSchedule.objects.create(
        facility=facility, requester_type=Requester.Type.ATTORNEY, per_page=D("1")
    )
    complete_authorization(roi, document_types=[Document.Type.DISCHARGE_SUMMARY])
    make_document(roi.patient, pages=5)
    make_document(roi.patient, doc_type=Document.Type.OPERATIVE_REPORT, pages=40)
    assert fees.estimate(roi).pages == 5
