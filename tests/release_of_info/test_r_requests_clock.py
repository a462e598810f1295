"""The HIPAA clock: due 30 days after receipt or the facility's shorter limit; the one
extension (before the due date, at most 30 days, with a reason) and its notice letter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from r_requests_support import TODAY, make_request, pdf_text, squash

from him.trail import Action
from release_of_info.models.requests import RequestLetter, ROIFacilitySettings
from release_of_info.services import requests as services

pytestmark = pytest.mark.django_db


def test_due_thirty_calendar_days_after_receipt(personas):
    received = TODAY - dt.timedelta(days=4)
    roi = make_request(facility=personas.facility, received_on=received)
    assert roi.due_on == received + dt.timedelta(days=30)
    assert roi.effective_due_on == roi.due_on
    assert services.days_left(roi, TODAY) == 26


def test_a_facility_state_limit_shortens_the_clock(personas):
    services.roi_settings_update(
        facility=personas.facility,
        due_days=15,
        legal_basis="State health code 15-day rule",
        user=None,
    )
    received = TODAY - dt.timedelta(days=1)
    roi = make_request(facility=personas.facility, received_on=received)
    assert roi.due_on == received + dt.timedelta(days=15)
    # The other facility keeps HIPAA's 30 days.
    other = make_request(facility=personas.other_facility, received_on=received)
    assert other.due_on == received + dt.timedelta(days=30)


def test_facility_limit_cannot_exceed_hipaa_or_lack_a_basis(personas):
    with pytest.raises(ValidationError) as caught:
        services.roi_settings_update(facility=personas.facility, due_days=45, user=None)
    assert "between 1 and 30" in caught.value.message_dict["due_days"][0]
    with pytest.raises(ValidationError) as caught:
        services.roi_settings_update(facility=personas.facility, due_days=10, user=None)
    assert "state law" in caught.value.message_dict["legal_basis"][0]
    assert not ROIFacilitySettings.objects.exists()


def test_received_in_the_future_is_refused_and_nothing_created(personas):
    with pytest.raises(ValidationError) as caught:
        make_request(facility=personas.facility, received_on=TODAY + dt.timedelta(days=1))
    assert "future" in caught.value.message_dict["received_on"][0]
    from release_of_info.models import ROIRequest

    assert not ROIRequest.objects.exists()


def test_extension_before_the_due_date_adds_up_to_thirty_days_and_writes_the_notice(
    personas, trail_watch
):
    roi = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=20))
    new_due = roi.due_on + dt.timedelta(days=30)
    roi = services.roi_request_extend(
        roi=roi, reason="Records are held at the off-site archive.", new_due_on=new_due, user=None
    )
    assert roi.extended_due_on == new_due
    assert roi.effective_due_on == new_due
    assert roi.extension_notice_on == TODAY
    letter = RequestLetter.objects.get(roi=roi)
    assert letter.kind == RequestLetter.Kind.EXTENSION_NOTICE
    text = squash(pdf_text(letter.file.read()))
    assert "Records are held at the off-site archive." in text
    assert f"{new_due:%B %d, %Y}" in text
    assert new_due.isoformat() in text
    row = trail_watch.one(action=Action.UPDATE, reason="request extended")
    assert row.patient_id == roi.patient_id


def test_extension_after_the_due_date_is_refused(personas):
    roi = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=31))
    assert roi.due_on < TODAY
    with pytest.raises(ValidationError) as caught:
        services.roi_request_extend(
            roi=roi, reason="Late.", new_due_on=roi.due_on + dt.timedelta(days=10), user=None
        )
    assert "has passed" in caught.value.message_dict["notice_on"][0]
    roi.refresh_from_db()
    assert roi.extended_due_on is None
    assert not RequestLetter.objects.exists()


def test_a_second_extension_is_refused(personas):
    roi = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=10))
    first = roi.due_on + dt.timedelta(days=10)
    services.roi_request_extend(roi=roi, reason="Archive.", new_due_on=first, user=None)
    with pytest.raises(ValidationError) as caught:
        services.roi_request_extend(
            roi=roi, reason="Again.", new_due_on=first + dt.timedelta(days=5), user=None
        )
    assert "only one extension" in caught.value.messages[0]
    roi.refresh_from_db()
    assert roi.extended_due_on == first
    assert RequestLetter.objects.count() == 1


def test_more_than_thirty_days_is_refused(personas):
    roi = make_request(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        services.roi_request_extend(
            roi=roi, reason="Archive.", new_due_on=roi.due_on + dt.timedelta(days=31), user=None
        )
    assert "at most 30 days" in caught.value.message_dict["new_due_on"][0]
    roi.refresh_from_db()
    assert roi.extended_due_on is None


def test_an_extension_needs_a_reason(personas):
    roi = make_request(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        services.roi_request_extend(
            roi=roi, reason="  ", new_due_on=roi.due_on + dt.timedelta(days=5), user=None
        )
    assert "reason" in caught.value.message_dict["reason"][0]
    roi.refresh_from_db()
    assert roi.extended_due_on is None


def test_a_notice_dated_after_the_due_date_is_refused_even_if_entered_early(personas):
    roi = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=29))
    with pytest.raises(ValidationError) as caught:
        services.roi_request_extend(
            roi=roi,
            reason="Archive.",
            new_due_on=roi.due_on + dt.timedelta(days=5),
            notice_on=roi.due_on + dt.timedelta(days=1),
            user=None,
        )
    assert "notice_on" in caught.value.message_dict
