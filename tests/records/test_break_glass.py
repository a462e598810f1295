"""Break-the-glass: the dialog, time-limited access, the trail marker, the review queue."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from access_support import can_view, document, give, patient
from django.utils import timezone

from him import roles
from him.testing.mixins import error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import BreakGlassAccess, Sensitivity
from records.services.access import NO_MATCH

DIALOG = "/records/access/break-glass/"
API = "/api/v1/records/break-glass/"
REVIEW_API = "/api/v1/records/break-glass-reviews/"
QUEUE = "/records/access/break-glass/review/"


@pytest.fixture
def vip(personas):
    return patient(personas.facility, restricted=True, family_name="Famous", mrn="VIP-7")


@pytest.fixture
def officer(personas):
    return personas.privileged(roles.PRIVACY_OFFICER)


def ask(client, identifier, text="Unconscious in the ED, need medication history"):
    return client.post(
        DIALOG, {"identifier": identifier, "reason_code": "emergency", "reason_text": text}
    )


@pytest.fixture
def shift(monkeypatch):
    """Move the clock forward (no sleeping)."""

    def move(**delta):
        later = timezone.now() + dt.timedelta(**delta)
        monkeypatch.setattr(timezone, "now", lambda: later)

    return move


def test_missing_reason_is_refused_and_nothing_saved(personas, vip, trail_watch):
    web = web_client(personas.writer)
    response = ask(web, vip.enterprise_id, text="   ")
    assert response.status_code == 200
    assert "required" in str(response.context["form"].errors["reason_text"])
    assert f'value="{vip.enterprise_id}"' in response.content.decode()
    response = api_client(personas.writer).post(
        API, {"identifier": vip.enterprise_id, "reason_code": "emergency", "reason_text": " "}
    )
    assert response.status_code == 400
    assert "reason_text" in response.json()["error"]["fields"]
    assert not BreakGlassAccess.objects.exists()
    trail_watch.none(action=Action.BREAK_GLASS)
    assert not can_view(personas.writer, vip)


@pytest.mark.parametrize("where", ["nowhere", "other facility"])
def test_unknown_and_foreign_identifiers_get_the_same_message(personas, where):
    if where == "other facility":
        foreign = patient(personas.other_facility, restricted=True, mrn="FOREIGN-1")
        identifier = foreign.enterprise_id
    else:
        identifier = "ENOSUCH123"
    response = ask(web_client(personas.writer), identifier)
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [NO_MATCH]
    api = api_client(personas.writer).post(
        API, {"identifier": identifier, "reason_code": "other", "reason_text": "why"}
    )
    assert api.status_code == 400
    assert NO_MATCH in error_message(api)
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_opens_the_record_for_four_hours(personas, vip, trail_watch, shift):
    web = web_client(personas.writer)
    assert web.get(f"/records/patients/{vip.enterprise_id}/").status_code == 404
    response = ask(web, "vip-7")  # by MRN, any case
    assert response.status_code == 302
    assert response["Location"] == f"/records/patients/{vip.enterprise_id}/"
    grant = BreakGlassAccess.objects.get()
    assert (grant.user, grant.patient, grant.review_status) == (personas.writer, vip, "pending")
    assert grant.expires_at - grant.started_at == dt.timedelta(hours=4)
    row = trail_watch.one(action=Action.BREAK_GLASS)
    assert row.patient_id == vip.pk and row.outcome == Outcome.SUCCESS
    assert row.reason == "Emergency treatment: Unconscious in the ED, need medication history"
    assert orjson.loads(row.detail)["break_glass"] == str(grant.public_id)

    trail_watch.mark()
    chart = web.get(response["Location"])
    assert chart.status_code == 200
    assert "emergency access until" in chart.content.decode()
    read = trail_watch.one(action=Action.READ, object_type="records.patient")
    assert orjson.loads(read.detail) == {"break_glass": str(grant.public_id)}
    assert (
        api_client(personas.writer)
        .get(f"/api/v1/records/patients/{vip.enterprise_id}/")
        .status_code
        == 200
    )

    shift(hours=3, minutes=59)
    assert can_view(personas.writer, vip)
    shift(hours=4, seconds=1)
    assert web.get(f"/records/patients/{vip.enterprise_id}/").status_code == 404
    assert not can_view(personas.writer, vip)


def test_duration_follows_the_setting(personas, vip, settings):
    settings.BREAK_GLASS_HOURS = 1
    ask(web_client(personas.writer), vip.enterprise_id)
    grant = BreakGlassAccess.objects.get()
    assert grant.expires_at - grant.started_at == dt.timedelta(hours=1)


def test_reads_with_a_standing_grant_are_not_marked(personas, vip, trail_watch):
    from access_support import grant_patient

    ask(web_client(personas.writer), vip.enterprise_id)
    grant_patient(personas.writer, vip)
    trail_watch.mark()
    web_client(personas.writer).get(f"/records/patients/{vip.enterprise_id}/")
    assert trail_watch.one(action=Action.READ, object_type="records.patient").detail == ""


def test_break_glass_does_not_unlock_sensitive_documents(personas, vip):
    give(personas.writer, "view_document")
    plain, part2 = document(vip), document(vip, Sensitivity.PART2)
    ask(web_client(personas.writer), vip.enterprise_id)
    assert can_view(personas.writer, plain)
    assert not can_view(personas.writer, part2)


def test_an_open_record_needs_no_break_glass(personas):
    ordinary = patient(personas.facility)
    response = ask(web_client(personas.writer), ordinary.enterprise_id)
    assert response["Location"] == f"/records/patients/{ordinary.enterprise_id}/"
    assert not BreakGlassAccess.objects.exists()


def test_api_creates_and_lists_my_own_accesses(personas, vip):
    api = api_client(personas.writer)
    response = api.post(
        API, {"identifier": vip.enterprise_id, "reason_code": "continuity", "reason_text": "ward"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["patient"] == vip.enterprise_id
    assert response.json()["active"] is True
    assert [r["public_id"] for r in results(api.get(API))] == [response.json()["public_id"]]
    # Another user sees none of it.
    assert results(api_client(personas.reader).get(API)) == []


def test_role_without_patient_access_cannot_break_the_glass(personas, vip):
    assert web_client(personas.no_role).get(DIALOG).status_code == 403
    assert ask(web_client(personas.no_role), vip.enterprise_id).status_code == 403
    assert not BreakGlassAccess.objects.exists()


# Review ----------------------------------------------------------------------------------


@pytest.fixture
def used(personas, vip):
    web = web_client(personas.writer)
    ask(web, vip.enterprise_id)
    web.get(f"/records/patients/{vip.enterprise_id}/")
    return BreakGlassAccess.objects.get()


def test_queue_lists_pending_accesses_with_what_was_done(officer, used, vip):
    web = web_client(officer)
    response = web.get(QUEUE)
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [used]
    page = web.get(f"{QUEUE}{used.public_id}/")
    assert page.status_code == 200
    events = list(page.context["events"])
    assert [(e.action, e.object_id) for e in events] == [
        (Action.BREAK_GLASS, vip.enterprise_id),
        (Action.READ, vip.enterprise_id),
    ]
    detail = api_client(officer).get(f"{REVIEW_API}{used.public_id}/")
    assert detail.status_code == 200
    assert [e["action"] for e in detail.json()["events"]] == ["break_glass", "read"]


def test_review_marks_it_reviewed_with_a_trail_row(officer, used, trail_watch):
    web = web_client(officer)
    response = web.post(f"{QUEUE}{used.public_id}/", {"status": "reviewed", "note": "ED visit"})
    assert response.status_code == 302
    used.refresh_from_db()
    assert (used.review_status, used.reviewed_by, used.review_note) == (
        "reviewed",
        officer,
        "ED visit",
    )
    row = trail_watch.one(action=Action.UPDATE, object_type="records.breakglassaccess")
    assert row.reason == "break-the-glass reviewed: ED visit"
    assert row.user_id == officer.pk
    assert list(web.get(QUEUE).context["object_list"]) == []


def test_escalation_needs_a_note(officer, used):
    response = api_client(officer).post(
        f"{REVIEW_API}{used.public_id}/review/", {"status": "escalated", "note": ""}
    )
    assert response.status_code == 400
    assert "note" in response.json()["error"]["fields"]
    used.refresh_from_db()
    assert used.review_status == "pending"
    response = api_client(officer).post(
        f"{REVIEW_API}{used.public_id}/review/", {"status": "escalated", "note": "3rd this week"}
    )
    assert response.status_code == 200
    assert response.json()["review_status"] == "escalated"


def test_others_cannot_review(personas, used):
    assert web_client(personas.writer).get(QUEUE).status_code == 403
    response = web_client(personas.reader).post(
        f"{QUEUE}{used.public_id}/", {"status": "reviewed", "note": ""}
    )
    assert response.status_code == 403
    response = api_client(personas.writer).post(
        f"{REVIEW_API}{used.public_id}/review/", {"status": "reviewed"}
    )
    assert response.status_code == 403
    used.refresh_from_db()
    assert used.review_status == "pending"


def test_an_officer_cannot_review_their_own_access(personas, officer, vip):
    assert ask(web_client(officer), vip.enterprise_id).status_code == 302
    own = BreakGlassAccess.objects.get(user=officer)
    response = api_client(officer).post(
        f"{REVIEW_API}{own.public_id}/review/", {"status": "reviewed"}
    )
    assert response.status_code == 400
    assert "own" in error_message(response)
