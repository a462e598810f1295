"""The edit engine's kept code facts: no query once warm, a new or reloaded version seen."""

import datetime as dt

import pytest
from c_edits_support import claim, cm_fy2026, only, pcs_fy2026, run
from coding_factories import codes
from django.utils import timezone

from coding import hooks
from coding.edits import facts, lookup
from coding.models import CodeReference, CodeSet, CodeSystem
from coding.services import grouping

pytestmark = pytest.mark.django_db

CLAIM = ["J18.9", "E11.9", "E10.9", "D63.1", "I50.9", "Z79.4", "F02.80", "E11.6", "S72.001"]


@pytest.fixture
def loaded():
    """The test set as a loader leaves it (``loaded_at`` set): its facts are kept."""
    cs, made = cm_fy2026()
    cs.loaded_at = timezone.now()
    cs.save()
    return cs, made


def test_a_warm_validation_and_grouping_run_no_query(loaded, django_assert_num_queries):
    c = claim(CLAIM, px=["0DTJ4ZZ"])
    first = run(c)
    grouping.group(c)
    with django_assert_num_queries(0):
        again = run(c)
        grouping.group(c)
    assert again == first


def test_kept_facts_give_the_edits_of_a_fresh_read(loaded):
    cs, _ = loaded
    pcs_fy2026()
    claims = [claim(CLAIM), claim(CLAIM[::-1], px=["0DTJ4ZZ", "0DTJ4ZX"]), claim(CLAIM[3:])]
    kept = [run(c) for c in claims]
    CodeSet.objects.filter(pk=cs.pk).update(loaded_at=None)  # never kept: read every run
    lookup.forget()
    assert [run(c) for c in claims] == kept


def test_a_reloaded_version_is_seen_at_once(loaded):
    cs, _ = loaded
    assert only(run(claim(["I5021", "E11.7"])), "CM-NOT-VALID")
    codes(cs, [("E117", "Type 2 diabetes mellitus with multiple complications")])
    cs.loaded_at = timezone.now()
    cs.save()
    hooks.fire(hooks.CODESET_LOADED, code_set=cs)
    assert not only(run(claim(["I5021", "E11.7"])), "CM-NOT-VALID")


def test_a_version_added_in_this_process_is_seen_at_once(loaded):
    assert only(run(claim(["I5021"], px=["0DTJ4ZZ"])), "PCS-CODESET-MISSING")
    pcs_fy2026()
    assert not only(run(claim(["I5021"], px=["0DTJ4ZZ"])), "PCS-CODESET-MISSING")


def test_a_load_by_another_process_is_seen_after_the_ttl(loaded, monkeypatch):
    cs, _ = loaded
    assert only(run(claim(["I5021", "E11.7"])), "CM-NOT-VALID")
    # Another process reloads the version: no signal reaches this one.
    codes(cs, [("E117", "Type 2 diabetes mellitus with multiple complications")])
    later = timezone.now() + dt.timedelta(seconds=1)
    CodeSet.objects.filter(pk=cs.pk).update(loaded_at=later)
    assert only(run(claim(["I5021", "E11.7"])), "CM-NOT-VALID")  # still the kept facts
    monkeypatch.setattr(lookup, "SETS_TTL", 0.0)
    assert not only(run(claim(["I5021", "E11.7"])), "CM-NOT-VALID")


def test_codes_are_kept_per_version(loaded):
    run(claim(["I5021", "E119"]))
    key = lookup._store_key(lookup.in_force_on(dt.date(2026, 3, 10)))
    kept = lookup._STORES[key]
    assert {"I5021", "E119"} <= kept.known_dx
    assert kept.idx.sets[CodeSystem.ICD10CM].pk == loaded[0].pk


@pytest.mark.parametrize(
    "start,end,suffix",
    [("E11", "E11", ""), ("E08", "E13", "42"), ("I60", "I69", ""), ("S00", "T88", "")],
)
def test_a_reference_matches_only_codes_with_one_of_its_keys_as_a_prefix(start, end, suffix):
    ref = CodeReference(start=start, end=end, suffix=suffix)
    keys = facts.ref_keys(ref)
    samples = ["E11", "E119", "E0842", "E1342", "E14", "I60", "I6990", "I70", "S001XXA"]
    samples += ["T8800XA", "T89", "R99", "A00", "Z99", "E08", "E07"]
    for code in samples:
        if ref.matches(code):
            assert any(code.startswith(k) for k in keys), code
        else:
            assert ref.suffix or not any(code.startswith(k) for k in keys), code


def test_a_range_of_too_many_categories_is_tried_on_every_code():
    assert facts.ref_keys(CodeReference(start="A00", end="Z99")) is None


def test_a_reused_edit_names_the_line_the_code_is_on_now(loaded):
    """Edits made once per code and line: the same code elsewhere gets its own line."""
    at_one = only(run(claim(["I50.9", "I10"])), "CM-UNSPECIFIED")
    at_two = only(run(claim(["I10", "I50.9"])), "CM-UNSPECIFIED")
    again = only(run(claim(["I50.9", "I10"])), "CM-UNSPECIFIED")
    assert [e.line for e in at_one] == ["dx:1"] and "(#1)" in at_one[0].message
    assert [e.line for e in at_two] == ["dx:2"] and "(#2)" in at_two[0].message
    assert again == at_one
    reminder = only(run(claim(["E11.9", "I5021"])), "CM-USE-ADDITIONAL")
    moved = only(run(claim(["I5021", "I10", "E11.9"])), "CM-USE-ADDITIONAL")
    assert [e.line for e in reminder] == ["dx:1"] and [e.line for e in moved] == ["dx:3"]
    # Still decided on every run: a code that satisfies the note silences it.
    assert only(run(claim(["I5021", "E11.9", "Z79.84"])), "CM-USE-ADDITIONAL") == []
