"""Code validity: date, shape, code set, header, 7th character, placeholder X."""

import datetime as dt

import pytest
from c_edits_support import claim, cm_fy2026, ids, only, pcs_fy2026, run
from coding_factories import code_set, codes

from coding.claim import Service
from coding.models import CodeSystem

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm():
    return cm_fy2026()[1]


def test_a_valid_billable_code_raises_no_validity_edit(cm):
    found = run(claim(["I50.21", "E11.9", "Z79.4"]))
    assert ids(found, "CM-") == []


def test_no_code_set_for_the_discharge_date_is_one_clear_error(cm):
    found = run(claim(["I5021", "E119", "XX"], discharge=dt.date(2031, 1, 5)))
    assert ids(found, "CM-") == ["CM-CODESET-MISSING"]
    assert "2031-01-05" in found[0].message and found[0].blocks


def test_a_code_of_another_loaded_version_says_when_it_is_valid(cm):
    code_set(version="FY2025", dates=(dt.date(2024, 10, 1), dt.date(2025, 9, 30)))
    rows = [("I50", "Heart failure", False), ("I5021", "Acute systolic (congestive) heart failure")]
    codes(code_set(version="FY2025"), rows)
    found = run(claim(["I5021", "E11A"], discharge=dt.date(2025, 3, 1)))
    edit = only(found, "CM-NOT-VALID")[0]
    assert edit.codes == ("E11A",) and edit.line == "dx:2"
    assert "FY2026 (2025-10-01 to 2026-09-30)" in edit.message
    # The same code on a FY2026 discharge is valid.
    assert only(run(claim(["I5021", "E11A"])), "CM-NOT-VALID") == []


def test_an_unknown_code_is_not_valid_and_a_bad_shape_is_malformed(cm):
    found = run(claim(["I5021", "E11.7", "E1!9", "9"]))
    assert [e.line for e in only(found, "CM-NOT-VALID")] == ["dx:2"]
    assert "E11.7" in only(found, "CM-NOT-VALID")[0].message
    assert [e.line for e in only(found, "CM-MALFORMED")] == ["dx:3", "dx:4"]


def test_procedure_and_service_codes_on_a_diagnosis_line_are_the_wrong_set(cm):
    pcs_fy2026()
    found = run(claim(["I5021", "0DTJ4ZZ", "99213"]))
    wrong = only(found, "CM-WRONG-SET")
    assert [(e.line, e.codes) for e in wrong] == [("dx:2", ("0DTJ4ZZ",)), ("dx:3", ("99213",))]
    assert "ICD-10-PCS" in wrong[0].message and "CPT" in wrong[1].message


def test_diagnosis_and_cpt_codes_on_a_procedure_line_are_the_wrong_set(cm):
    pcs_fy2026()
    found = run(claim(["I5021"], px=["0DTJ4ZZ", "E11.9", "99213", "0DTJ4ZX"]))
    assert [e.line for e in only(found, "PCS-WRONG-SET")] == ["px:2", "px:3"]
    assert [e.line for e in only(found, "PCS-NOT-VALID")] == ["px:4"]


def test_procedures_without_a_pcs_code_set_give_one_error(cm):
    found = run(claim(["I5021"], px=["0DTJ4ZZ", "0DTJ4ZX"]))
    assert ids(found, "PCS-") == ["PCS-CODESET-MISSING"]


def test_icd_codes_on_service_lines_are_the_wrong_set_and_cpt_unloaded_is_a_warning(cm):
    found = run(claim(["I10"], inpatient=False, services=["E11.9", "99213", "12"]))
    assert [e.line for e in only(found, "SVC-WRONG-SET")] == ["svc:1"]
    assert [e.line for e in only(found, "SVC-MALFORMED")] == ["svc:3"]
    missing = only(found, "SVC-CODESET-MISSING")
    assert len(missing) == 1 and not missing[0].blocks


def test_service_codes_are_checked_when_a_cpt_set_is_loaded(cm):
    codes(code_set(CodeSystem.CPT, "2026"), [("99213", "(descriptor licensed by the AMA)")])
    found = run(claim(["I10"], inpatient=False, services=["99213", "99999"]))
    assert [e.line for e in only(found, "SVC-NOT-VALID")] == ["svc:2"]


def test_a_header_code_offers_its_billable_children(cm):
    found = run(claim(["I5021", "E11.6"]))
    edit = only(found, "CM-HEADER")[0]
    assert edit.line == "dx:2" and edit.blocks
    assert {"E1165", "E1169", "E11641", "E11649"} <= set(edit.suggestions)
    assert "E11.65" in edit.message
    # The near miss: a billable child raises nothing.
    assert only(run(claim(["I5021", "E11.65"])), "CM-HEADER") == []


def test_seventh_character_missing_offers_the_allowed_characters(cm):
    found = run(claim(["I5021", "S72.001"]))
    edit = only(found, "CM-7TH-MISSING")[0]
    assert edit.suggestions == ("S72001A", "S72001B", "S72001D", "S72001S")
    assert "A (initial encounter for closed fracture)" in edit.message


def test_seventh_character_not_allowed_for_the_category(cm):
    found = run(claim(["I5021", "S72.001C"]))
    edit = only(found, "CM-7TH-INVALID")[0]
    assert "'C'" in edit.message and "S72001A" in edit.suggestions
    assert ids(run(claim(["I5021", "S72.001A"])), "CM-") == []


def test_the_nearest_ancestor_defines_the_seventh_characters(cm):
    from coding_factories import seventh

    # A subcategory with its own (narrower) list overrides the category's.
    seventh(cm["S7200"], [("A", "initial encounter for closed fracture")])
    assert ids(run(claim(["I5021", "S72.001A"])), "CM-") == []
    assert only(run(claim(["I5021", "S72.001D"])), "CM-7TH-INVALID")


def test_placeholder_x_needed(cm):
    found = run(claim(["I5021", "T36.01A"]))
    edit = only(found, "CM-PLACEHOLDER-X")[0]
    assert edit.suggestions == ("T360X1A",) and "T36.0X1A" in edit.message
    found = run(claim(["I5021", "W01.0A"]))
    assert only(found, "CM-PLACEHOLDER-X")[0].suggestions == ("W010XXA",)
    # Typed with the placeholder: valid (the 7th-character extension of a leaf).
    assert ids(run(claim(["I5021", "T36.0X1A", "W01.0XXA"])), "CM-") == []


def test_a_placeholder_code_without_its_7th_character_needs_it(cm):
    edit = only(run(claim(["I5021", "W01.0"])), "CM-7TH-MISSING")[0]
    assert edit.suggestions == ("W010XXA", "W010XXD", "W010XXS")
    assert "W01.0XX-" in edit.message


def test_pointers_must_point_at_listed_diagnoses(cm):
    services = [
        Service(code="99213", pointers=(1, 2), sequence=1),
        Service(code="99214", pointers=(3,), sequence=2),
    ]
    found = run(claim(["I10", "E11.9"], inpatient=False, services=services))
    edit = only(found, "SVC-POINTER")
    assert [e.line for e in edit] == ["svc:2"] and "diagnoses 1 to 2" in edit[0].message
