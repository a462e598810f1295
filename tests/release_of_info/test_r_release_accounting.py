"""The accounting of disclosures (164.528): which releases are listed, what is
withheld under a suspension, the clock and the fee of an accounting request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import r_release_support as s
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from him.testing.factories import FacilityFactory
from him.testing.personas import web_client
from release_of_info import hooks
from release_of_info.models import AccountingRequest, Disclosure
from release_of_info.services import disclosures as accounting
from release_of_info.services import release as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_release_rules")]


TODAY = timezone.localdate


def release(facility, user, **kwargs):
    request = s.roi(facility, **kwargs)
    s.packet(request)
    services.roi_release(roi=request, user=user, method="secure_link")
    return request


def test_a_release_to_a_court_without_authorization_is_listed(facility, specialist):
    request = release(facility, specialist, kind="court", purpose="legal")
    entry = Disclosure.objects.get(request=request)
    assert entry.basis == Disclosure.Basis.JUDICIAL
    assert entry.recipient_name == request.requester.name
    assert "1 Court Street" in entry.recipient_address
    assert request.number in entry.description and "2 pages" in entry.description
    assert entry.disclosed_on == TODAY()


@pytest.mark.parametrize(
    ("kind", "purpose"),
    [("patient", "personal"), ("representative", "personal"), ("provider", "treatment")],
)
def test_releases_to_the_patient_or_for_treatment_are_exempt(facility, specialist, kind, purpose):
    release(facility, specialist, kind=kind, purpose=purpose)
    assert not Disclosure.objects.exists()


def test_a_release_under_a_valid_authorization_is_exempt(facility, specialist, monkeypatch):
    monkeypatch.setitem(hooks._handlers, hooks.RELEASE_BASIS, [lambda request: "authorization"])
    release(facility, specialist, kind="attorney", purpose="legal")
    assert not Disclosure.objects.exists()


def test_a_hand_entry_needs_its_facts_and_no_future_date(facility, specialist):
    patient = s.patient(facility)
    with pytest.raises(ValidationError) as err:
        accounting.disclosure_record(
            patient=patient,
            user=specialist,
            disclosed_on=TODAY() + dt.timedelta(days=1),
            recipient_name="",
            description="Lab results",
            purpose="Reportable disease",
            basis="public_health",
        )
    assert set(err.value.message_dict) == {"disclosed_on", "recipient_name"}


def hand_entry(patient, user, recipient, days_ago, basis="public_health"):
    return accounting.disclosure_record(
        patient=patient,
        user=user,
        disclosed_on=TODAY() - dt.timedelta(days=days_ago),
        recipient_name=recipient,
        description="Culture results",
        purpose="Reportable condition",
        basis=basis,
    )


def test_an_active_suspension_withholds_that_agencys_entries_until_it_ends(facility, specialist):
    patient = s.patient(facility)
    hand_entry(patient, specialist, "State Health Department", 40)
    hand_entry(patient, specialist, "County Sheriff", 20, basis="law_enforcement")
    accounting.suspension_record(
        patient=patient,
        user=specialist,
        agency="county sheriff",
        reason="Ongoing investigation",
        starts_on=TODAY() - dt.timedelta(days=5),
        ends_on=TODAY() + dt.timedelta(days=60),
    )
    start = TODAY() - dt.timedelta(days=365)
    shown, withheld = accounting.entries_for(patient, start=start, end=TODAY(), as_of=TODAY())
    assert [d.recipient_name for d in shown] == ["State Health Department"] and withheld == 1
    later = TODAY() + dt.timedelta(days=61)
    shown, withheld = accounting.entries_for(patient, start=start, end=later, as_of=later)
    assert len(shown) == 2 and withheld == 0


def test_an_oral_suspension_lasts_at_most_30_days(facility, specialist):
    with pytest.raises(ValidationError, match="written statement"):
        accounting.suspension_record(
            patient=s.patient(facility),
            user=specialist,
            agency="FBI",
            reason="Investigation",
            form="oral",
            starts_on=TODAY(),
            ends_on=TODAY() + dt.timedelta(days=30),
        )


def test_accounting_request_is_due_in_60_days_and_the_second_in_a_year_has_a_fee(
    facility, specialist, settings
):
    settings.ROI_ACCOUNTING_FEE = "18.50"
    patient = s.patient(facility)
    first = accounting.accounting_request_receive(
        patient=patient, user=specialist, requester_name="Iris", received_on=TODAY()
    )
    assert first.due_on == TODAY() + dt.timedelta(days=60) and first.fee == 0
    assert first.period_start == accounting.years_before(TODAY(), 6)
    second = accounting.accounting_request_receive(
        patient=patient, user=specialist, requester_name="Iris", received_on=TODAY()
    )
    assert second.fee == Decimal("18.50") and "withdraw" in second.fee_note


def test_an_accounting_covers_at_most_six_years(facility, specialist):
    with pytest.raises(ValidationError, match="6 years"):
        accounting.accounting_request_receive(
            patient=s.patient(facility),
            user=specialist,
            requester_name="Iris",
            received_on=TODAY(),
            period_start=TODAY() - dt.timedelta(days=7 * 365),
        )


def test_one_extension_only_and_only_before_the_due_date(facility, specialist):
    patient = s.patient(facility)
    late = accounting.accounting_request_receive(
        patient=patient,
        user=specialist,
        requester_name="Iris",
        received_on=TODAY() - dt.timedelta(days=70),
    )
    with pytest.raises(ValidationError, match="after the due date"):
        accounting.accounting_request_extend(
            request=late, user=specialist, notice_on=TODAY(), reason="Staffing"
        )
    ok = accounting.accounting_request_receive(
        patient=patient, user=specialist, requester_name="Iris", received_on=TODAY()
    )
    ok = accounting.accounting_request_extend(
        request=ok, user=specialist, notice_on=TODAY(), reason="Records at the off-site archive"
    )
    assert ok.extended_due_on == ok.due_on + dt.timedelta(days=30)
    with pytest.raises(ValidationError, match="only one"):
        accounting.accounting_request_extend(
            request=ok, user=specialist, notice_on=TODAY(), reason="Again"
        )
    notice = s.pdf_text(accounting.extension_notice_pdf(request=ok, user=specialist))
    assert "off-site archive" in notice and f"{ok.extended_due_on:%B %d, %Y}" in notice


def test_the_accounting_pdf_lists_the_entries_and_not_the_withheld_ones(facility, specialist):
    patient = s.patient(facility)
    hand_entry(patient, specialist, "State Health Department", 40)
    hand_entry(patient, specialist, "County Sheriff", 20, basis="law_enforcement")
    accounting.suspension_record(
        patient=patient,
        user=specialist,
        agency="County Sheriff",
        reason="Investigation",
        starts_on=TODAY(),
        ends_on=TODAY() + dt.timedelta(days=90),
    )
    obj = accounting.accounting_request_receive(
        patient=patient, user=specialist, requester_name="Iris", received_on=TODAY()
    )
    obj = accounting.accounting_provide(request=obj, user=specialist)
    assert obj.status == AccountingRequest.Status.PROVIDED
    assert (obj.entries, obj.withheld) == (1, 1)
    text = s.pdf_text(obj.file.read())
    assert "State Health Department" in text and "Sheriff" not in text
    with pytest.raises(ValidationError):
        accounting.accounting_provide(request=obj, user=specialist)


# Screens ----------------------------------------------------------------------------------


def test_the_patient_page_keeps_bad_input_and_says_what_to_fix(facility, specialist):
    patient = s.patient(facility)
    client = web_client(specialist)
    url = reverse("release_of_info:disclosure-add", args=[patient.enterprise_id])
    response = client.post(
        url,
        {
            "disclosure-disclosed_on": (TODAY() + dt.timedelta(days=2)).isoformat(),
            "disclosure-recipient_name": "State Cancer Registry",
            "disclosure-description": "Pathology report",
            "disclosure-purpose": "Cancer registry reporting",
            "disclosure-basis": "public_health",
        },
    )
    assert response.status_code == 400
    assert b"cannot be in the future" in response.content
    assert b"State Cancer Registry" in response.content
    assert not Disclosure.objects.exists()
    response = client.post(
        url,
        {
            "disclosure-disclosed_on": TODAY().isoformat(),
            "disclosure-recipient_name": "State Cancer Registry",
            "disclosure-description": "Pathology report",
            "disclosure-purpose": "Cancer registry reporting",
            "disclosure-basis": "public_health",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("release_of_info:patient-disclosures", args=[patient.enterprise_id]))
    assert b"State Cancer Registry" in page.content


def test_a_patient_out_of_reach_is_404(facility, specialist, trail_watch):
    other = s.patient(FacilityFactory())
    response = web_client(specialist).get(
        reverse("release_of_info:patient-disclosures", args=[other.enterprise_id])
    )
    assert response.status_code == 404
    assert trail_watch.one(outcome="not_found").object_type == "records.patient"


def test_the_accounting_is_produced_and_downloaded_from_the_screen(facility, specialist):
    patient = s.patient(facility)
    hand_entry(patient, specialist, "State Health Department", 3)
    client = web_client(specialist)
    client.post(
        reverse("release_of_info:accountingrequest-add", args=[patient.enterprise_id]),
        {"accounting-requester_name": "Iris", "accounting-received_on": TODAY().isoformat()},
    )
    obj = AccountingRequest.objects.get()
    client.post(reverse("release_of_info:accountingrequest-step", args=[obj.public_id, "provide"]))
    pdf = client.get(
        reverse("release_of_info:accountingrequest-file", args=[obj.public_id, "accounting"])
    )
    assert pdf.status_code == 200
    assert "State Health Department" in s.pdf_text(b"".join(pdf.streaming_content))
