"""Loading ICD-10-CM FY2026 from the CDC tabular XML (selected real categories)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from coding import hooks
from coding.models import Code, CodeNote, CodeReference, CodeSet, CodeSystem, SeventhCharacter
from coding.services import codesets

pytestmark = pytest.mark.django_db

ONLY = ["E08", "E11", "E13", "D61", "S72", "T36", "G63", "F02", "A00"]
# Codes from categories not loaded (B27, O24, Z79) are still named exactly:
# references are resolved against the whole classification.


@pytest.fixture
def icd(db) -> CodeSet:
    return codesets.load_icd10cm(only=ONLY)


def code(cs: CodeSet, value: str) -> Code:
    return Code.objects.get(code_set=cs, code=value)


def test_hierarchy_chapters_blocks_categories(icd):
    e11 = code(icd, "E11")
    assert e11.kind == Code.Kind.CATEGORY and not e11.billable
    assert e11.title == "Type 2 diabetes mellitus"
    block = e11.parent
    assert block.kind == Code.Kind.BLOCK and block.code == "E08-E13"
    assert block.parent.kind == Code.Kind.CHAPTER and block.parent.code == "4"
    e1122 = code(icd, "E1122")
    assert e1122.billable and e1122.parent.code == "E112" and not e1122.parent.billable
    assert e1122.dotted == "E11.22"
    # In force from FY2026's start until a newer version is loaded.
    assert icd.effective_from == dt.date(2025, 10, 1) and icd.effective_to is None
    assert icd.item_count == Code.objects.filter(code_set=icd).count()
    assert len(icd.source_sha256) == 64 and icd.loaded_at is not None
    assert "only" in icd.source


def test_notes_of_every_kind_are_kept_for_display(icd):
    kinds = set(CodeNote.objects.filter(code__code_set=icd).values_list("kind", flat=True))
    assert {
        "inclusion",
        "includes",
        "excludes1",
        "excludes2",
        "code_first",
        "use_additional",
        "code_also",
        "note",
        "seventh_character",
    } <= kinds
    e11 = code(icd, "E11")
    texts = list(e11.notes.filter(kind="excludes1").values_list("text", flat=True))
    assert any("diabetes mellitus due to underlying condition (E08.-)" in t for t in texts)


def test_references_of_excludes_and_use_additional(icd):
    e11 = code(icd, "E11")
    refs = {(r.kind, r.start, r.end, r.suffix) for r in e11.references.all()}
    assert {
        ("excludes1", "E08", "E08", ""),
        ("excludes1", "E09", "E09", ""),
        ("excludes1", "O244", "O244", ""),
    } <= refs
    assert ("excludes1", "P702", "P702", "") in refs
    assert {
        ("use_additional", "Z794", "Z794", ""),
        ("use_additional", "Z7984", "Z7984", ""),
    } <= refs
    # Every reference hangs off a note of the same kind on the same code.
    for ref in CodeReference.objects.filter(code=e11).select_related("note"):
        assert ref.note.code_id == e11.pk and ref.note.kind == ref.kind


def test_g63_notes_name_endocrine_ranges_and_diabetes_with_42(icd):
    g63 = code(icd, "G63")
    first = {(r.start, r.end, r.suffix) for r in g63.references.filter(kind="code_first")}
    assert {("E00", "E07", ""), ("E15", "E16", ""), ("E20", "E34", ""), ("E85", "E85", "")} <= first
    refs_rows = list(g63.references.filter(kind="excludes1"))
    assert ("E08", "E13", "42") in {(r.start, r.end, r.suffix) for r in refs_rows}
    assert any(r.matches("E11.42") for r in refs_rows)
    assert not any(r.matches("E11.40") for r in refs_rows)
    # "(B27.0-B27.9 with fifth character 1)": mononucleosis with polyneuropathy only.
    assert any(r.matches("B27.01") for r in refs_rows) and not any(
        r.matches("B27.02") for r in refs_rows
    )


def test_e08_e13_with_suffix_reference():
    ref = CodeReference(start="E08", end="E13", suffix="42")
    assert ref.matches("E11.42") and ref.matches("E1342")
    assert not ref.matches("E11.40") and not ref.matches("E14.42")


def test_manifestation_and_code_first(icd):
    g63 = code(icd, "G63")
    assert g63.billable and g63.flags.get("manifestation") is True and g63.flags.get("code_first")
    first = g63.notes.filter(kind="code_first")
    assert first.exists()
    f02 = code(icd, "F0280")
    assert f02.flags.get("manifestation") is True
    assert CodeReference.objects.filter(
        code__code=("F02"), kind="code_first", code__code_set=icd
    ).exists()


def test_seventh_characters_and_placeholder_x(icd):
    s72 = code(icd, "S72")
    chars = dict(SeventhCharacter.objects.filter(code=s72).values_list("character", "meaning"))
    assert chars["A"] == "initial encounter for closed fracture" and "S" in chars
    s72001 = code(icd, "S72001")
    assert not s72001.billable and s72001.flags.get("requires_seventh")
    s72001a = code(icd, "S72001A")
    assert s72001a.billable and s72001a.parent_id == s72001.pk
    assert s72001a.title.endswith("right femur, initial encounter for closed fracture")
    assert s72001a.dotted == "S72.001A"
    # Placeholder X: a 5-character code padded to six before the 7th character.
    assert code(icd, "T360X1A").billable
    assert code(icd, "T360X1A").flags.get("placeholder") is True
    s7200xa = Code.objects.filter(code_set=icd, code__startswith="S7200").filter(billable=True)
    assert s7200xa.filter(code="S72009A").exists()
    assert not Code.objects.filter(code_set=icd, code="S72001").filter(billable=True).exists()


def test_t36_fifth_or_sixth_character_reference_is_exact(icd):
    d61 = code(icd, "D61")
    refs = CodeReference.objects.filter(code__code_set=icd, start="T36")
    assert refs.exists()
    # "(T36-T50 with fifth or sixth character 5)": adverse effects, not poisonings.
    matches = [r for r in refs if r.matches("T36.0X5A")]
    assert matches, "T36.0X5A (adverse effect of penicillins) is named"
    ours = CodeReference.objects.filter(
        code__code_set=icd, start="T36", code__code__startswith="D61"
    )
    assert ours.exists() and d61
    assert not any(r.matches("T36.0X1A") for r in ours)


def test_search_text_and_unspecified_flag(icd):
    a000 = code(icd, "A000")
    assert "classical cholera" in a000.search_text and a000.search_text == a000.search_text.lower()
    assert code(icd, "A009").flags.get("unspecified") is True


def test_reload_is_idempotent_and_fires_hook(icd):
    seen = []
    handler = lambda code_set: seen.append(code_set.pk)  # noqa: E731
    hooks.register(hooks.CODESET_LOADED, handler)
    try:
        before = (
            Code.objects.filter(code_set=icd).count(),
            CodeNote.objects.filter(code__code_set=icd).count(),
            CodeReference.objects.filter(code__code_set=icd).count(),
        )
        again = codesets.load_icd10cm(only=ONLY)
        after = (
            Code.objects.filter(code_set=again).count(),
            CodeNote.objects.filter(code__code_set=again).count(),
            CodeReference.objects.filter(code__code_set=again).count(),
        )
    finally:
        hooks._handlers[hooks.CODESET_LOADED].remove(handler)
    assert again.pk == icd.pk and before == after
    assert CodeSet.objects.filter(system=CodeSystem.ICD10CM).count() == 1
    assert seen == [icd.pk]
    # Same source, same sha: skipped when asked.
    assert codesets.load_icd10cm(only=ONLY, skip_if_loaded=True).loaded_at == again.loaded_at


def test_versioning_by_date(icd):
    assert codesets.code_set_for(CodeSystem.ICD10CM, dt.date(2026, 3, 1)) == icd
    assert codesets.lookup(CodeSystem.ICD10CM, "e11.22", dt.date(2026, 3, 1)).code == "E1122"
    assert codesets.lookup(CodeSystem.ICD10CM, "E11.99", dt.date(2026, 3, 1)) is None
    assert codesets.code_set_for(CodeSystem.ICD10CM, dt.date(2026, 12, 1)) == icd  # still in force
    with pytest.raises(
        codesets.NoCodeSetLoaded, match="in force on 2025-09-30.*FY2026 2025-10-01..open"
    ):
        codesets.code_set_for(CodeSystem.ICD10CM, dt.date(2025, 9, 30))
    with pytest.raises(codesets.NoCodeSetLoaded, match="No ICD-10-PCS code set is loaded"):
        codesets.lookup(CodeSystem.ICD10PCS, "0DTJ4ZZ", dt.date(2026, 3, 1))


def test_a_later_version_takes_over_on_its_start_date(icd):
    later = codesets.load_icd10cm(
        only=["E11"],
        version="FY2027",
        effective_from=dt.date(2026, 10, 1),
        effective_to=dt.date(2027, 9, 30),
    )
    assert codesets.code_set_for(CodeSystem.ICD10CM, dt.date(2026, 9, 30)) == icd
    assert codesets.code_set_for(CodeSystem.ICD10CM, dt.date(2026, 10, 1)) == later


@pytest.mark.skipif(
    os.environ.get("HIM_FULL_CODESETS") != "1", reason="full load: HIM_FULL_CODESETS=1"
)
def test_full_load_counts():
    import time

    started = time.perf_counter()
    cs = codesets.load_icd10cm()
    elapsed = time.perf_counter() - started
    billable = Code.objects.filter(code_set=cs, billable=True).count()
    counts = {
        "codes": cs.item_count,
        "billable": billable,
        "notes": CodeNote.objects.filter(code__code_set=cs).count(),
        "references": CodeReference.objects.filter(code__code_set=cs).count(),
        "seventh_rows": Code.objects.filter(code_set=cs, flags__has_key="seventh").count()
        if False
        else sum(
            1
            for f in Code.objects.filter(code_set=cs, kind="code").values_list("flags", flat=True)
            if "seventh" in f
        ),
        "seconds": round(elapsed, 1),
    }
    print("ICD-10-CM full load:", counts)
    assert billable == 74719
