"""The encounter codes API: read/write, validate, group with what-if, finalize, reopen, scope."""

from __future__ import annotations

import pytest
from c_workspace_support import dx, world

from coding import edits
from coding.edits import ERROR, Edit
from him.models import AccessEvent
from him.testing.mixins import error_message
from him.testing.personas import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def url(coding, tail=""):
    return f"/api/v1/coding/encounters/{coding.encounter.public_id}/{tail}"


def test_read_write_round_trip_and_trail(w):
    coding = w.inpatient()
    api = api_client(w.coder)
    got = api.get(url(coding))
    assert got.status_code == 200 and got.json()["status"] == "not_started"
    body = {
        "version": got.json()["version"],
        "diagnoses": dx(("J18.9", "Y"), ("J96.01", "Y")),
        "procedures": [{"code": "5A1945Z", "performed_on": "2026-03-07"}],
    }
    put = api.put(url(coding), body, format="json")
    assert put.status_code == 200, put.json()
    data = put.json()
    assert [d["dotted"] for d in data["diagnoses"]] == ["J18.9", "J96.01"]
    assert data["diagnoses"][0]["title"] == "Pneumonia, unspecified organism"
    assert data["working_drg"] == "208"  # ventilation under 96 hours groups to 208
    assert AccessEvent.objects.filter(action="read", object_id=str(coding.public_id)).exists()
    assert AccessEvent.objects.filter(action="update", object_id=str(coding.public_id)).exists()

    stale = api.put(url(coding), {**body, "diagnoses": dx(("I10", "Y"))}, format="json")
    assert stale.status_code == 409 and "Someone else" in error_message(stale)


def test_bad_input_is_a_400_with_fields(w):
    coding = w.inpatient()
    api = api_client(w.coder)
    bad = api.put(
        url(coding),
        {"diagnoses": [{"code": "J18.9", "poa": "Q"}, {"code": "ZZZ9"}]},
        format="json",
    )
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert "diagnoses.1.poa" in fields and "diagnoses.2.code" in fields
    garbage = api.put(url(coding), {"diagnoses": "nope"}, format="json")
    assert garbage.status_code == 400


def test_validate_and_group_unsaved_codes_with_what_if(w, monkeypatch):
    monkeypatch.setitem(
        edits._checks,
        "test_warn",
        lambda claim, ctx: [Edit("TEST-W", "warning", "check this", "test", line="dx:1")],
    )
    coding = w.inpatient()
    api = api_client(w.coder)
    body = {"diagnoses": dx(("J18.9", "Y"), ("N17.9", "Y"))}
    checked = api.post(url(coding, "validate/"), body, format="json")
    assert checked.status_code == 200
    assert checked.json()["edits"][0]["line"] == "dx:1" and checked.json()["warnings"] == 1
    grouped = api.post(
        url(coding, "group/"),
        {**body, "what_if": [{"action": "add", "code": "J96.01"}], "suggest": True},
        format="json",
    )
    assert grouped.status_code == 200, grouped.json()
    g = grouped.json()
    assert g["drg"] == "194" and g["cc"] == ["N179"] and g["version_label"] == "v43.0"
    assert g["what_if"][0]["drg"] == "193" and float(g["what_if"][0]["weight_delta"]) > 0
    assert any(w["change"]["action"] == "remove" and w["drg"] == "195" for w in g["what_if"])
    coding.refresh_from_db()
    assert coding.diagnoses.count() == 0 and coding.working_drg == ""  # nothing written


def test_finalize_blocked_lists_edits_then_finalize_and_reopen(w, monkeypatch):
    monkeypatch.setitem(
        edits._checks,
        "test_error",
        lambda claim, ctx: (
            [Edit("TEST-E", ERROR, "fix me", "test", line="dx:2")]
            if len(claim.diagnoses) > 1
            else []
        ),
    )
    coding = w.inpatient()
    api = api_client(w.coder)
    api.put(url(coding), {"diagnoses": dx(("J18.9", "Y"), ("I10", "Y"))}, format="json")
    blocked = api.post(url(coding, "finalize/"), {}, format="json")
    assert blocked.status_code == 409
    assert blocked.json()["error"]["edits"][0]["id"] == "TEST-E"
    version = api.put(url(coding), {"diagnoses": dx(("J18.9", "Y"))}, format="json").json()[
        "version"
    ]
    done = api.post(url(coding, "finalize/"), {"version": version}, format="json")
    assert done.status_code == 200 and done.json()["final_drg"] == "195"
    locked = api.put(url(coding), {"diagnoses": dx(("I10", "Y"))}, format="json")
    assert locked.status_code == 409 and "Reopen" in error_message(locked)
    no_reason = api.post(url(coding, "reopen/"), {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    reader = api_client(w.auditor).post(url(coding, "reopen/"), {"reason": "a good reason"})
    assert reader.status_code == 403
    reopened = api.post(url(coding, "reopen/"), {"reason": "query answered"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "draft"


def test_out_of_scope_is_404_no_permission_403_anonymous_401(w):
    coding = w.inpatient()
    elsewhere = w.inpatient(facility=w.other)
    api = api_client(w.coder)
    for tail in ("", "validate/", "group/"):
        method = api.get if not tail else api.post
        response = method(url(elsewhere, tail))
        assert response.status_code == 404, tail
    assert api.get("/api/v1/coding/encounters/not-a-uuid/").status_code == 404
    assert AccessEvent.objects.filter(outcome="not_found").count() >= 3
    assert api_client(w.outsider).get(url(coding)).status_code == 404
    assert api_client(w.auditor).get(url(coding)).status_code == 200
    assert (
        api_client(w.auditor).put(url(coding), {"diagnoses": []}, format="json").status_code == 403
    )
    assert api_client().get(url(coding)).status_code == 401
