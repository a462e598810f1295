"""NCCI procedure-to-procedure pairs and medically unlikely edits (synthetic file rows)."""

import datetime as dt

import pytest
from c_edits_support import DISCHARGE, claim, cm_fy2026, ids, only, run
from coding_factories import code_set

from coding.claim import Service
from coding.models import CodeSystem, MueLimit, NcciPair

pytestmark = pytest.mark.django_db

QUARTER = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.fixture
def ncci():
    cm_fy2026()
    ptp = code_set(CodeSystem.NCCI_PTP, "2026Q1", dates=QUARTER)
    mue = code_set(CodeSystem.NCCI_MUE, "2026Q1", dates=QUARTER)
    for col1, col2, indicator in [
        ("36556", "36000", "1"),
        ("93000", "93005", "0"),
        ("1", "2", "9"),
    ]:
        NcciPair.objects.create(
            code_set=ptp,
            setting="hospital",
            column1=col1,
            column2=col2,
            effective_from=dt.date(2020, 1, 1),
            modifier_indicator=indicator,
            rationale="Misuse of column two code with column one code",
        )
    NcciPair.objects.create(
        code_set=ptp,
        setting="hospital",
        column1="96374",
        column2="96372",
        effective_from=dt.date(2020, 1, 1),
        effective_to=dt.date(2025, 12, 31),  # deleted before the visit
        modifier_indicator="0",
    )
    MueLimit.objects.create(
        code_set=mue, setting="hospital", code="96372", units=4, adjudication_indicator="3 Date"
    )
    MueLimit.objects.create(
        code_set=mue, setting="hospital", code="J1100", units=10, adjudication_indicator="1 Line"
    )


def svc(code, *modifiers, units=1, day=DISCHARGE):
    return Service(code=code, modifiers=modifiers, units=units, pointers=(1,), service_date=day)


def visit(*services):
    return claim(["I10"], inpatient=False, services=services)


def test_indicator_1_pair_without_a_modifier_is_an_error(ncci):
    found = only(run(visit(svc("36556"), svc("36000"))), "NCCI-PTP")
    assert [(e.line, e.codes) for e in found] == [("svc:2", ("36556", "36000"))]
    assert "59" in found[0].message and found[0].blocks


@pytest.mark.parametrize("modifier", ["59", "XS", "xu", "25"])
def test_indicator_1_pair_with_an_ncci_modifier_on_column_two_passes(ncci, modifier):
    assert only(run(visit(svc("36556"), svc("36000", modifier))), "NCCI-PTP") == []


def test_a_modifier_on_column_one_does_not_bypass(ncci):
    assert only(run(visit(svc("36556", "59"), svc("36000"))), "NCCI-PTP")


def test_indicator_0_pair_is_an_error_even_with_a_modifier(ncci):
    found = only(run(visit(svc("93000"), svc("93005", "59"))), "NCCI-PTP")
    assert len(found) == 1 and "never paid together" in found[0].message


def test_pairs_on_different_days_indicator_9_and_deleted_pairs_pass(ncci):
    other_day = DISCHARGE - dt.timedelta(days=1)
    assert only(run(visit(svc("93000"), svc("93005", day=other_day))), "NCCI-PTP") == []
    assert only(run(visit(svc("1"), svc("2"))), "NCCI-PTP") == []
    assert only(run(visit(svc("96374"), svc("96372"))), "NCCI-PTP") == []


def test_units_over_the_mue_are_an_error_showing_the_limit(ncci):
    found = only(run(visit(svc("96372", units=3), svc("96372", units=2))), "NCCI-MUE")
    assert len(found) == 1 and found[0].line == "svc:1"
    assert "5 units" in found[0].message and "of 4 per day" in found[0].message
    assert only(run(visit(svc("96372", units=4))), "NCCI-MUE") == []


def test_without_ncci_files_one_info_edit(db):
    cm_fy2026()
    found = run(visit(svc("93000"), svc("93005")))
    assert ids(found, "NCCI-") == ["NCCI-NOT-LOADED"]
    info = only(found, "NCCI-NOT-LOADED")[0]
    assert info.severity == "info" and not info.blocks
    assert ids(run(claim(["I10"], inpatient=False)), "NCCI-") == []


def test_a_line_mue_checks_each_line_on_its_own(ncci):
    assert only(run(visit(svc("J1100", units=8), svc("J1100", "59", units=8))), "NCCI-MUE") == []
    found = only(run(visit(svc("J1100", units=11))), "NCCI-MUE")
    assert len(found) == 1 and "of 10 per line" in found[0].message
