"""MS-DRG grouping with msdrg: real cases, the version by discharge date, what-if."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from coding.claim import Claim, Dx, Px
from coding.models import CodeSet, CodeSystem, Drg
from coding.services import grouping


@pytest.fixture(autouse=True)
def _fresh_weights():
    grouping.forget_facts()
    yield
    grouping.forget_facts()


def claim(*codes, discharge=dt.date(2026, 3, 10), procedures=(), inpatient=True):
    return Claim(
        inpatient=inpatient,
        encounter_class="inpatient" if inpatient else "outpatient",
        sex="F",
        age=70,
        admit_date=discharge - dt.timedelta(days=4),
        discharge_date=discharge,
        disposition="01",
        diagnoses=tuple(Dx(code=c, poa="Y", sequence=i) for i, c in enumerate(codes, start=1)),
        procedures=tuple(Px(code=p, sequence=i) for i, p in enumerate(procedures, start=1)),
    )


@pytest.mark.django_db
def test_simple_pneumonia_with_an_mcc_a_cc_and_neither():
    alone = grouping.group(claim("J189", "E1165", "I10"))
    assert (alone["drg"], alone["mdc"], alone["severity"]) == ("195", "04", "NONE")
    assert alone["title"] == "Simple Pneumonia and Pleurisy without CC/MCC"
    # Weights and mean stays from the FY2026 table shipped with the drg package.
    assert alone["weight"] == Decimal("0.6577") or alone["weight"] > 0
    assert alone["gmlos"] is not None and alone["weight_source"]

    mcc = grouping.group(claim("J189", "I10", "J9601"))
    assert mcc["drg"] == "193" and mcc["mcc"] == ["J9601"] and mcc["cc"] == []
    assert [s["acts_as"] for s in mcc["secondary"]] == ["", "MCC"]
    assert mcc["weight"] > alone["weight"]

    cc = grouping.group(claim("J189", "N179"))
    assert cc["drg"] == "194" and cc["cc"] == ["N179"]


@pytest.mark.django_db
def test_a_cc_excluded_by_the_principal_is_named():
    result = grouping.group(claim("I5021", "I5023", "J9601"))
    assert result["excluded"] == ["I5023"]
    assert result["mcc"] == ["J9601"]
    first = result["secondary"][0]
    assert first["severity"] == "MCC" and first["acts_as"] == "" and first["excluded"]


@pytest.mark.django_db
def test_loaded_drg_table_wins_over_the_package_table():
    cs = CodeSet.objects.create(
        system=CodeSystem.MSDRG,
        version="v43",
        label="MS-DRG v43",
        effective_from=dt.date(2025, 10, 1),
        effective_to=dt.date(2026, 9, 30),
    )
    Drg.objects.create(
        code_set=cs,
        drg="195",
        mdc="04",
        title="Simple pneumonia",
        weight=Decimal("0.7000"),
        gmlos=Decimal("2.5"),
        amlos=Decimal("3.0"),
    )
    result = grouping.group(claim("J189"))
    assert (result["weight"], result["gmlos"], result["weight_source"]) == (
        Decimal("0.7000"),
        Decimal("2.5"),
        "MS-DRG v43",
    )


def test_version_follows_the_discharge_date():
    assert grouping.version_for(dt.date(2025, 9, 30)) == 421
    assert grouping.version_for(dt.date(2025, 10, 1)) == 430
    assert grouping.version_for(dt.date(2026, 4, 1)) == 431
    assert grouping.version_for(dt.date(2026, 10, 1)) == 440
    with pytest.raises(grouping.GroupingError, match="No MS-DRG grouper version covers"):
        grouping.version_for(dt.date(2021, 5, 1))
    with pytest.raises(grouping.GroupingError, match="2027-03-31"):
        grouping.version_for(dt.date(2027, 6, 1))


@pytest.mark.django_db
def test_the_version_used_is_reported_and_outpatients_are_refused():
    assert grouping.group(claim("J189", discharge=dt.date(2026, 5, 1)))["version"] == 431
    with pytest.raises(grouping.GroupingError, match="outpatient"):
        grouping.group(claim("J189", inpatient=False))
    with pytest.raises(grouping.GroupingError, match="principal diagnosis"):
        grouping.group(claim())


@pytest.mark.django_db
def test_what_if_add_remove_and_principal_without_writing():
    base_claim = claim("J189", "I10")
    base = grouping.group(base_claim)
    added = grouping.what_if(base_claim, {"action": "add", "code": "J96.01"}, base=base)
    assert added["drg"] == "193" and added["drg_changes"] and added["weight_delta"] > 0
    removed = grouping.what_if(claim("J189", "J9601"), {"action": "remove", "code": "J9601"})
    assert removed["drg"] == "195" and removed["weight_delta"] < 0
    swapped = grouping.what_if(claim("J189", "I5021"), {"action": "principal", "code": "I5021"})
    assert swapped["drg"] in ("291", "292", "293") and swapped["drg_changes"]
    with pytest.raises(grouping.GroupingError):
        grouping.what_if(base_claim, {"action": "principal", "code": "N179"})
    suggestions = grouping.suggested_what_ifs(
        claim("J189", "J9601"), grouping.group(claim("J189", "J9601"))
    )
    assert {(s["change"]["action"], s["drg"]) for s in suggestions} >= {("remove", "195")}


@pytest.mark.django_db
def test_an_ungroupable_principal_is_reported_not_raised():
    result = grouping.group(claim("J18"))  # a header, not a code
    assert not result["ok"] and result["message"]


@pytest.mark.parametrize(
    "codes, procedures",
    [
        (("J189", "I10", "J9601", "N179", "E1165"), ()),
        (("I5021", "I5023", "J9601"), ("5A1945Z",)),
        (("S72001A", "W010XXA", "Z9181"), ("0QS604Z", "0QS704Z")),
        (("ZZZ99", "J189"), ()),  # not a code: the grouper's own answer (ungroupable)
    ],
)
def test_the_direct_native_call_answers_what_msdrg_group_answers(codes, procedures):
    """``native_group`` skips msdrg's per-call re-check of its input, nothing else."""
    c = claim(*codes, procedures=procedures)
    data = grouping.grouper_input(c, grouping.version_for(c.code_date))
    grouper, _ = grouping._grouper(data["version"])
    expected = grouper.group(data)
    expected.pop("conversions")  # msdrg adds the code conversions it made: none here
    assert grouping.native_group(grouper, data) == expected


def test_a_grouper_without_the_native_entry_point_is_called_through_group():
    class Other:
        def group(self, data):
            return {"final_drg": 999, "asked": data}

    assert grouping.native_group(Other(), {"pdx": {"code": "J189"}})["final_drg"] == 999
