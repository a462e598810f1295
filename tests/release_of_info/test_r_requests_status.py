"""Status moves from the request page and the API: allowed moves, refused ones, reasons
for hold/deny/cancel, the denial letter and its review rights, who may deny."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from r_requests_support import make_request, pdf_text, squash

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import error_message
from him.testing.personas import api_client, web_client
from him.trail import Action
from release_of_info.models import ROIRequest
from release_of_info.models.requests import RequestLetter
from release_of_info.services.status import allowed_next, roi_request_set_status

pytestmark = pytest.mark.django_db
S = ROIRequest.Status


@pytest.fixture
def specialist(personas):
    return UserFactory(
        username="rita", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )


def test_allowed_moves_and_a_refused_one(personas):
    roi = make_request(facility=personas.facility)
    assert S.IN_PROCESS in allowed_next(roi)
    assert S.RELEASED not in allowed_next(roi)
    with pytest.raises(ValidationError) as caught:
        roi_request_set_status(roi=roi, status=S.RELEASED, user=None)
    assert "cannot move to released" in caught.value.messages[0]
    roi.refresh_from_db()
    assert roi.status == S.LOGGED


@pytest.mark.parametrize("stop", [S.ON_HOLD, S.DENIED, S.CANCELLED])
def test_hold_deny_cancel_need_a_reason(personas, stop):
    roi = make_request(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        roi_request_set_status(roi=roi, status=stop, user=None, reason="  ")
    assert "reason" in caught.value.messages[0]
    roi.refresh_from_db()
    assert roi.status == S.LOGGED
    assert not RequestLetter.objects.exists()


def test_a_closed_request_cannot_move(personas):
    roi = make_request(facility=personas.facility)
    roi_request_set_status(roi=roi, status=S.CANCELLED, user=None, reason="Withdrawn by caller.")
    with pytest.raises(ValidationError) as caught:
        roi_request_set_status(roi=roi, status=S.IN_PROCESS, user=None)
    assert "cannot change" in caught.value.messages[0]


def test_denial_produces_a_letter_with_the_reason_and_the_review_rights(personas):
    roi = make_request(facility=personas.facility)
    reason = "The authorization was signed before the patient's date of birth."
    roi = roi_request_set_status(roi=roi, status=S.DENIED, user=None, reason=reason)
    letter = RequestLetter.objects.get(roi=roi, kind=RequestLetter.Kind.DENIAL)
    text = squash(pdf_text(letter.file.read()))
    assert reason in text
    assert roi.number in text
    assert "licensed health care professional" in text
    assert "did not take part in the original decision" in text
    assert "Secretary of the U.S. Department of Health and Human Services" in text
    assert "Office for Civil Rights" in text
    assert "complain to us" in text


def test_page_moves_with_reason_and_shows_the_error_without_one(personas, specialist):
    roi = make_request(facility=personas.facility)
    url = f"/roi/requests/{roi.public_id}/do/status/"
    client = web_client(specialist)
    response = client.post(url, {"status-status": S.ON_HOLD, "status-reason": ""})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    roi.refresh_from_db()
    assert roi.status == S.LOGGED
    response = client.post(url, {"status-status": S.ON_HOLD, "status-reason": "Awaiting payment"})
    assert response.status_code == 302
    roi.refresh_from_db()
    assert (roi.status, roi.status_reason) == (S.ON_HOLD, "Awaiting payment")
    page = client.get(f"/roi/requests/{roi.public_id}/")
    assert [(h["status"], h["history_user__username"]) for h in page.context["status_history"]] == [
        (S.LOGGED, None),
        (S.ON_HOLD, "rita"),
    ]
    assert "Awaiting payment" in page.content.decode()


def test_page_refuses_released_by_hand(personas, specialist):
    roi = make_request(facility=personas.facility)
    roi_request_set_status(roi=roi, status=S.IN_PROCESS, user=None)
    roi_request_set_status(roi=roi, status=S.QUALITY_CHECK, user=None)
    response = web_client(specialist).post(
        f"/roi/requests/{roi.public_id}/do/status/", {"status-status": S.RELEASED}
    )
    assert response.status_code == 200
    assert "release steps" in response.content.decode()
    roi.refresh_from_db()
    assert roi.status == S.QUALITY_CHECK


def test_a_role_without_deny_permission_cannot_deny(personas, trail_watch):
    # The HIM technician has no ROI permissions at all; give one change-only user instead.
    from django.contrib.auth.models import Permission

    user = UserFactory(username="changer", facilities=[personas.facility])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="release_of_info",
            codename__in=["view_roirequest", "change_roirequest"],
        )
    )
    roi = make_request(facility=personas.facility)
    response = api_client(user).post(
        f"/api/v1/roi/requests/{roi.public_id}/move/",
        {"status": S.DENIED, "reason": "No."},
        format="json",
    )
    assert response.status_code == 403
    error_message(response)
    roi.refresh_from_db()
    assert roi.status == S.LOGGED
    trail_watch.one(action=Action.DENIED, object_type="release_of_info.roirequest")


def test_api_move_and_refusals(personas, specialist):
    roi = make_request(facility=personas.facility)
    client = api_client(specialist)
    url = f"/api/v1/roi/requests/{roi.public_id}/move/"
    response = client.post(url, {"status": S.CANCELLED}, format="json")
    assert response.status_code == 400
    assert "reason" in error_message(response)
    response = client.post(url, {"status": S.IN_PROCESS}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.IN_PROCESS
    response = client.post(url, {"status": S.LOGGED}, format="json")
    assert response.status_code == 400
    assert "cannot move to logged" in error_message(response)
    response = client.post(
        url, {"status": S.DENIED, "reason": "Not a valid subpoena."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == S.DENIED
    assert [letter["letter_kind"] for letter in body["letters"]] == ["denial"]
