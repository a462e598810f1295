"""Duplicates, present on admission, unspecified codes."""

import pytest
from c_edits_support import claim, cm_fy2026, ids, only, run

from coding.edits.claim_rules import poa_exempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm():
    return cm_fy2026()[1]


def test_a_code_listed_twice_is_a_duplicate(cm):
    found = only(run(claim(["I5021", "E11.9", "I10", "E11.9"])), "CM-DUPLICATE")
    assert [(e.line, e.codes) for e in found] == [("dx:4", ("E119",))]
    assert "#2 and #4" in found[0].message
    assert only(run(claim(["I5021", "E11.9", "E11.65"])), "CM-DUPLICATE") == []


def test_poa_missing_and_invalid_on_an_inpatient_claim(cm):
    found = run(claim([("I5021", "Y"), ("I10", ""), ("E11.9", "X")]))
    assert [e.line for e in only(found, "POA-MISSING")] == ["dx:2"]
    assert [e.line for e in only(found, "POA-INVALID")] == ["dx:3"]


def test_poa_indicators_are_not_checked_on_an_outpatient_claim(cm):
    found = run(claim([("I10", ""), ("E11.9", "X")], inpatient=False))
    assert ids(found, "POA-") == []


@pytest.mark.parametrize("poa", ["Y", "N", "U", "W"])
def test_every_poa_value_passes_on_a_reportable_code(cm, poa):
    assert ids(run(claim([("I5021", poa), ("I10", poa)])), "POA-") == []


def test_one_is_only_for_exempt_codes(cm, settings, tmp_path):
    cms = tmp_path / "POAexemptCodesFY26.txt"
    cms.write_text("Order\tPOAexemptCode\tDescription\n00001\tZ794\tLong term insulin\n")
    settings.CODING_POA_EXEMPT_FILE = str(cms)
    found = run(claim([("I5021", "Y"), ("I10", "1"), ("Z79.4", "1")]))
    assert [(e.line, e.blocks) for e in only(found, "POA-EXEMPT-MISUSED")] == [("dx:2", True)]
    assert ids(found, "POA-") == ["POA-EXEMPT-MISUSED"]


def test_with_the_packaged_categories_an_unlisted_one_is_a_warning_not_a_block(cm):
    """The packaged list is Appendix I's categories, not CMS's code list: '1' on a code
    outside them may be right, so the coder is warned and can still finalize."""
    found = run(claim([("I5021", "Y"), ("I10", "1"), ("Z79.4", "1")]))
    edits = [e for e in found if e.id.startswith("POA-")]
    assert [(e.id, e.line, e.blocks) for e in edits] == [("POA-EXEMPT-UNLISTED", "dx:2", False)]


def test_an_exempt_code_may_be_blank_and_with_y_is_a_warning(cm):
    found = run(claim([("I5021", "Y"), ("Z79.4", ""), ("Z79.84", "Y")]))
    edits = [e for e in found if e.id.startswith("POA-")]
    assert [(e.id, e.line, e.blocks) for e in edits] == [("POA-EXEMPT-CODE", "dx:3", False)]


def test_the_packaged_exempt_list_reads_ranges_and_exceptions():
    assert poa_exempt("Z794") and poa_exempt("Q211") and poa_exempt("W092XXA")
    assert poa_exempt("V0001XA") and not poa_exempt("V00811A")  # wheelchair: an exception
    assert not poa_exempt("I10") and not poa_exempt("W010XXA")  # falls in hospital matter
    assert not poa_exempt("Z9181") and poa_exempt("Z9189")
    assert not poa_exempt("E119") and not poa_exempt("X710XXA") and poa_exempt("X711XXA")


def test_a_poa_exempt_flag_from_the_loader_wins(cm):
    cm["I10"].flags = {"poa_exempt": True}
    cm["I10"].save()
    assert ids(run(claim([("I5021", "Y"), ("I10", "1")])), "POA-") == []


def test_a_cms_exempt_file_can_replace_the_packaged_list(settings, tmp_path):
    cms = tmp_path / "POAexemptCodesFY26.txt"
    cms.write_text("Order\tPOAexemptCode\tDescription\n00001\tI10\tEssential hypertension\n")
    settings.CODING_POA_EXEMPT_FILE = str(cms)
    assert poa_exempt("I10") and not poa_exempt("Z794")


def test_unspecified_code_where_the_category_has_specific_codes_is_a_warning(cm):
    found = only(run(claim(["I50.9", "I10"])), "CM-UNSPECIFIED")
    assert len(found) == 1 and not found[0].blocks and found[0].line == "dx:1"
    assert "I50.21" in found[0].suggestions or "I5021" in found[0].suggestions
    assert "I50.2" in found[0].message


def test_no_unspecified_warning_for_a_specific_code_or_an_all_unspecified_category(cm):
    assert only(run(claim(["I50.21"])), "CM-UNSPECIFIED") == []
    # J18: every code is "unspecified organism"; nothing more specific to pick here.
    assert only(run(claim(["J18.9"])), "CM-UNSPECIFIED") == []


def test_an_unspecified_code_directly_under_a_block_has_nothing_more_specific(cm):
    from coding.models import Code

    block = Code.objects.create(
        code_set=cm["I10"].code_set, code="R50-R69", kind="block", title="General symptoms"
    )
    Code.objects.create(
        code_set=block.code_set,
        code="R69",
        kind="category",
        title="Illness, unspecified",
        parent=block,
    )
    Code.objects.create(
        code_set=block.code_set,
        code="R51",
        kind="category",
        title="Headache",
        billable=False,
        parent=block,
    )
    assert only(run(claim(["I50.21", "R69"])), "CM-UNSPECIFIED") == []


def test_make_gives_the_edit_the_dataclass_would():
    from dataclasses import FrozenInstanceError

    from coding.edits import Edit
    from coding.edits.catalog import CATALOG, make

    made = make("CM-DUPLICATE", "twice", codes=["I10"], line="dx:2", suggestions=("I11",))
    spec = CATALOG["CM-DUPLICATE"]
    built = Edit("CM-DUPLICATE", spec.severity, "twice", spec.rule, ("I10",), "dx:2", ("I11",))
    assert made == built and hash(made) == hash(built) and made.as_dict() == built.as_dict()
    assert made.extra == {} and made.blocks == built.blocks
    with pytest.raises(FrozenInstanceError):
        made.message = "changed"
