"""The workspace service: save, limits and bad input, resequence, finalize, reopen, history."""

from __future__ import annotations

import datetime as dt

import pytest
from c_workspace_support import FY2027, dx, load_codes, world
from django.core.exceptions import PermissionDenied

from coding import edits, hooks
from coding.edits import ERROR, WARNING, Edit
from coding.models import DiagnosisLine, EncounterCoding, ProcedureLine
from coding.services import workspace as ws
from him.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def save(coding, user, **data):
    data.setdefault("version", ws.codes_version(coding))
    return ws.encounter_coding_save(coding=coding, data=ws.CodesInput(**data), user=user)


def test_save_writes_lines_history_and_trail_and_fires_codes_changed(w, monkeypatch):
    coding = w.inpatient()
    fired = []
    monkeypatch.setitem(hooks._handlers, hooks.CODES_CHANGED, [lambda **kw: fired.append(kw)])
    saved = save(
        coding,
        w.coder,
        diagnoses=dx(("J18.9", "Y"), ("n17.9", "N")),
        procedures=[{"code": "0BH17EZ", "performed_on": "2026-03-08", "provider": ""}],
        admitting_dx="R05.1",
    )
    assert saved.status == EncounterCoding.Status.DRAFT
    assert list(saved.diagnoses.values_list("sequence", "code", "poa")) == [
        (1, "J189", "Y"),
        (2, "N179", "N"),
    ]
    assert saved.procedures.get().performed_on == dt.date(2026, 3, 8)
    assert saved.admitting_dx == "R051"
    # The working DRG is grouped on save: pneumonia with a CC (acute kidney failure).
    assert saved.working_drg == "194" and saved.grouper_version == 430  # v43.0 until April
    assert fired and fired[0]["coding"] == saved and fired[0]["user"] == w.coder
    line = DiagnosisLine.history.filter(coding_id=coding.pk, code="N179").get()
    assert line.history_user == w.coder and line.history_change_reason == "draft saved"
    event = AccessEvent.objects.filter(action="update", object_type="coding.encountercoding").get()
    assert event.username == "coder1" and event.patient_id == coding.encounter.patient_id


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("diagnoses.1.code", {"diagnoses": dx(("J18.99", "Y"))}, "not an ICD-10-CM diagnosis code"),
        ("diagnoses.1.code", {"diagnoses": dx(("hello", ""))}, "is not an ICD-10-CM"),
        ("diagnoses.1.code", {"diagnoses": dx(("0BH17EZ", ""))}, "ICD-10-PCS"),
        ("diagnoses.2.poa", {"diagnoses": dx(("J18.9", "Y"), ("I10", "X"))}, "POA 'X'"),
        (
            "procedures.1.code",
            {"diagnoses": dx(("J18.9", "Y")), "procedures": [{"code": "J189"}]},
            "not an ICD-10-PCS",
        ),
        (
            "procedures.1.performed_on",
            {
                "diagnoses": dx(("J18.9", "Y")),
                "procedures": [{"code": "0BH17EZ", "performed_on": "2026-04-30"}],
            },
            "outside the encounter",
        ),
        (
            "procedures.1.provider",
            {
                "diagnoses": dx(("J18.9", "Y")),
                "procedures": [{"code": "0BH17EZ", "provider": "1234567893"}],
            },
            "No provider with NPI",
        ),
        ("admitting_dx", {"admitting_dx": "99213"}, "not an ICD-10-CM"),
        ("services", {"services": [{"code": "99213"}]}, "inpatient stay is coded with ICD-10-PCS"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_written(w, field, data, message):
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("I10", "Y")))
    before = list(coding.diagnoses.values_list("code", "poa"))
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, **data)
    assert message in " ".join(caught.value.errors[field]), caught.value.errors
    assert list(coding.diagnoses.values_list("code", "poa")) == before


def test_limits_25_diagnoses_and_25_procedures(w):
    coding = w.inpatient()
    codes = ["J189", "N179", "E1165", "I10", "I5021"]
    ok = [{"code": codes[i % 5], "poa": "Y"} for i in range(25)]
    save(coding, w.coder, diagnoses=ok, procedures=[{"code": "0BH17EZ"}] * 25)
    assert coding.diagnoses.count() == 25 and coding.procedures.count() == 25
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, diagnoses=ok, procedures=[{"code": "5A1945Z"}] * 26)
    assert "procedures.26.code" in caught.value.errors
    assert "At most 25 procedures" in caught.value.errors["procedures"][0]
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, diagnoses=[*ok, {"code": "E785", "poa": "Y"}])
    assert "At most 25 diagnoses" in caught.value.errors["diagnoses"][0]
    assert not ProcedureLine.objects.filter(code="5A1945Z").exists()


def test_outpatient_services_modifiers_units_and_pointers(w):
    coding = w.outpatient()
    save(
        coding,
        w.coder,
        reason_for_visit="R05.1",
        diagnoses=dx(("R05.1", ""), ("I10", "")),
        services=[
            {"code": "99213", "modifiers": "25", "units": "1", "pointers": "1,2"},
            {"code": "G0008", "modifiers": ["59"], "units": 1, "pointers": [2]},
        ],
    )
    line = coding.services.get(sequence=1)
    assert (line.modifiers, line.diagnosis_pointers) == ("25", "1,2")
    bad = [{"code": "99213", "modifiers": "25,59,76,77,XU", "units": "0", "pointers": "3"}]
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, diagnoses=dx(("R05.1", ""), ("I10", "")), services=bad)
    errors = caught.value.errors
    assert "At most 4 modifiers" in errors["services.1.modifiers"][0]
    assert "Units" in errors["services.1.units"][0]
    assert "Pointer 3 names no diagnosis" in errors["services.1.pointers"][0]
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, diagnoses=dx(("R05.1", "Y")))
    assert "inpatient stays only" in caught.value.errors["diagnoses.1.poa"][0]


def test_no_code_set_in_force_says_so(w):
    coding = w.inpatient(discharged=dt.date(2026, 11, 2))
    with pytest.raises(ws.InputErrors) as caught:
        save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    assert (
        "No ICD-10-CM code set is loaded for 2026-11-02"
        in caught.value.errors["diagnoses.1.code"][0]
    )
    load_codes(FY2027)
    save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    assert coding.diagnoses.get().code == "J189"


def test_resequence_make_principal_moves_and_keeps_pointers(w):
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("I10", "Y"), ("J18.9", "Y"), ("N17.9", "N")))
    coding = ws.encounter_coding_resequence(
        coding=coding, kind="dx", index=2, op="principal", user=w.coder
    )
    assert list(coding.diagnoses.values_list("code", flat=True)) == ["J189", "I10", "N179"]
    coding = ws.encounter_coding_resequence(
        coding=coding, kind="dx", index=3, op="up", user=w.coder
    )
    assert list(coding.diagnoses.values_list("code", flat=True)) == ["J189", "N179", "I10"]

    data = ws.CodesInput(
        diagnoses=dx(("R05.1", ""), ("I10", ""), ("E78.5", "")),
        services=[{"code": "99213", "pointers": "1,3"}],
    )
    moved = ws.resequence(data, kind="dx", index=3, op="principal")
    assert [d["code"] for d in moved.diagnoses] == ["E78.5", "R05.1", "I10"]
    assert moved.services[0]["pointers"] == "2,1"
    removed = ws.resequence(data, kind="dx", index=1, op="remove")
    assert removed.services[0]["pointers"] == "2"


def test_concurrent_save_is_refused_not_overwritten(w):
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    version_seen_by_both = ws.codes_version(coding)
    ws.encounter_coding_save(
        coding=coding,
        data=ws.CodesInput(
            diagnoses=dx(("J18.9", "Y"), ("I10", "Y")), version=version_seen_by_both
        ),
        user=w.coder,
    )
    with pytest.raises(ws.Conflict, match="Someone else changed these codes"):
        ws.encounter_coding_save(
            coding=coding,
            data=ws.CodesInput(diagnoses=dx(("N17.9", "Y")), version=version_seen_by_both),
            user=w.coder,
        )
    assert list(coding.diagnoses.values_list("code", flat=True)) == ["J189", "I10"]


@pytest.fixture
def error_edit(monkeypatch):
    def check(claim, ctx):
        if any(d.code == "I10" for d in claim.diagnoses):
            yield Edit(
                "TEST-I10", ERROR, "I10 is not allowed here (test)", "test", ("I10",), "dx:2"
            )
        yield Edit("TEST-WARN", WARNING, "a warning never blocks", "test")

    monkeypatch.setitem(edits._checks, "test_error_edit", check)


def test_finalize_blocked_by_an_error_edit_then_locks_and_stores_the_final_drg(
    w, error_edit, monkeypatch
):
    finalized = []
    monkeypatch.setitem(hooks._handlers, hooks.FINALIZED, [lambda **kw: finalized.append(kw)])
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("J18.9", "Y"), ("I10", "Y")))
    with pytest.raises(ws.FinalizeBlocked) as caught:
        ws.encounter_coding_finalize(coding=coding, user=w.coder)
    assert [e.id for e in caught.value.edits] == ["TEST-I10"]
    coding.refresh_from_db()
    assert coding.status == "draft" and not finalized

    save(coding, w.coder, diagnoses=dx(("J18.9", "Y"), ("J96.01", "Y")))
    coding = ws.encounter_coding_finalize(coding=coding, user=w.coder)
    coding.refresh_from_db()
    assert coding.status == "final" and coding.final_drg == "193"
    assert coding.final_weight is not None and coding.finalized_by == w.coder
    assert finalized and finalized[0]["coding"].pk == coding.pk
    with pytest.raises(ws.WorkspaceError, match="final"):
        save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    assert coding.history.filter(history_change_reason="finalized").exists()


def test_finalize_blocked_by_a_finalize_check(w, monkeypatch):
    monkeypatch.setitem(
        hooks._handlers,
        hooks.FINALIZE_CHECKS,
        [lambda coding: ["A physician query is still open."]],
    )
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    with pytest.raises(ws.FinalizeBlocked) as caught:
        ws.encounter_coding_finalize(coding=coding, user=w.coder)
    assert caught.value.problems == ["A physician query is still open."]
    assert EncounterCoding.objects.get(pk=coding.pk).status == "draft"


def test_reopen_needs_a_reason_and_the_permission(w, monkeypatch):
    reopened = []
    monkeypatch.setitem(hooks._handlers, hooks.REOPENED, [lambda **kw: reopened.append(kw)])
    coding = w.inpatient()
    save(coding, w.coder, diagnoses=dx(("J18.9", "Y")))
    ws.encounter_coding_finalize(coding=coding, user=w.coder)
    with pytest.raises(PermissionDenied):
        ws.encounter_coding_reopen(coding=coding, user=w.auditor, reason="because of a query")
    with pytest.raises(ws.InputErrors):
        ws.encounter_coding_reopen(coding=coding, user=w.coder, reason="  ")
    coding = ws.encounter_coding_reopen(
        coding=coding, user=w.coder, reason="Late query answer documents sepsis"
    )
    assert coding.status == "draft" and coding.reopen_reason.startswith("Late query")
    assert reopened[0]["reason"].startswith("Late query")
    entries = ws.history(coding)
    assert entries[0]["reason"].startswith("reopened: Late query")
    assert any(e["what"].startswith("diagnosis 1: J18.9") for e in entries)
