"""Code search: codes with or without the dot, prefixes, words, typos, ranking,
the version in force on a date, and the rebuild when a code set is loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from c_search_support import FY2025, ON, cm_set, loaded, pcs_set

from coding.models import CodeSearchBuild, CodeSearchEntry, CodeSystem
from coding.services.search import SearchError, rebuild_index, search_codes, similarity

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm():
    cs, _ = cm_set()
    return loaded(cs)


def codes_of(q, **kwargs):
    kwargs.setdefault("on", ON)
    return [hit.code for hit in search_codes(q, **kwargs)]


def test_loading_a_code_set_rebuilds_its_index(cm):
    build = CodeSearchBuild.objects.get(code_set=cm)
    assert build.entries == CodeSearchEntry.objects.filter(code_set=cm).count() == 21
    assert build.words > 10


def test_a_rebuild_replaces_the_rows_instead_of_adding_to_them(cm):
    rebuild_index(cm)
    rebuild_index(cm)
    assert CodeSearchEntry.objects.filter(code_set=cm).count() == 21
    assert codes_of("E11.65")[0] == "E1165"


@pytest.mark.parametrize("q", ["E11.65", "e1165", "E1165", " e11.65 "])
def test_a_code_is_found_with_or_without_the_dot_in_any_case(cm, q):
    assert codes_of(q)[0] == "E1165"


def test_a_code_prefix_lists_the_exact_code_first_then_billable_codes(cm):
    found = codes_of("e11.6")
    assert found[0] == "E116"  # the exact code, though it is a header
    assert set(found) == {"E116", "E1165", "E1169"}
    found = codes_of("E11")
    assert found[0] == "E11"
    assert found.index("E119") < found.index("E116")  # billable before another header


def test_dotted_prefix_of_a_fracture_code(cm):
    assert codes_of("s72.0") == ["S720", "S72001A", "S7200", "S72001"]


def test_words_of_a_title_in_any_order_find_the_code(cm):
    assert codes_of("type 2 diabetes hyperglycemia")[0] == "E1165"
    assert codes_of("femur fracture")[0] == "S72001A"  # billable first
    assert "S72" in codes_of("femur fracture")


def test_the_start_of_a_word_is_enough(cm):
    assert "E1165" in codes_of("diab hypergly")


def test_billable_codes_come_before_headers_and_title_starts_before_others(cm):
    found = codes_of("pneumonia")
    assert found[:2] == ["J189", "J181"]  # billable; J18.9 starts with the word
    assert found[2] == "J18"
    found = codes_of("hyperglycemia")
    assert found == ["R739", "E1165"]  # title starts with the word first


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("diabetis", "E119"), ("pnuemonia", "J189"), ("hypertention", "I10"), ("hypertenson", "I10")],
)
def test_typos_are_forgiven(cm, typo, expected):
    assert expected in codes_of(typo)


def test_a_typo_among_right_words_still_narrows(cm):
    assert codes_of("type 2 diabetis hyperglicemia")[0] == "E1165"


def test_inclusion_terms_are_searched():
    cs, made = cm_set()
    from coding_factories import note

    note(made["I10"], "inclusion", "High blood pressure")
    loaded(cs)
    assert codes_of("high blood pressure") == ["I10"]


def test_billable_only_leaves_headers_out(cm):
    assert "E11" not in codes_of("type 2 diabetes", billable_only=True)
    assert "E119" in codes_of("type 2 diabetes", billable_only=True)


def test_a_code_among_words_narrows_by_code(cm):
    assert codes_of("E11 hyperglycemia") == ["E1165"]


def test_a_word_that_looks_like_a_code_falls_back_to_words(cm):
    assert codes_of("2 diabetes")[0].startswith("E11")


def test_only_the_version_in_force_on_the_date_is_searched(cm):
    old, _ = cm_set(version="FY2025", dates=FY2025, rows=[("E119", "Old title of E11.9")])
    loaded(old)
    assert [h.title for h in search_codes("E119", on=ON)] == [
        "Type 2 diabetes mellitus without complications"
    ]
    assert [h.title for h in search_codes("E119", on=dt.date(2025, 3, 1))] == ["Old title of E11.9"]
    assert search_codes("E119", on=dt.date(2030, 1, 1)) == []


def test_systems_are_kept_apart(cm):
    loaded(pcs_set()[0])
    assert codes_of("appendix") == ["0DTJ0ZZ", "0DTJ4ZZ"]
    assert codes_of("appendix", system=CodeSystem.ICD10CM) == []
    assert codes_of("0dtj", system="icd10pcs") == ["0DTJ0ZZ", "0DTJ4ZZ"]
    hit = search_codes("0SR90J9", on=ON)[0]
    assert (hit.system, hit.dotted, hit.billable) == ("icd10pcs", "0SR90J9", True)


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "a\x00b"])
def test_unusable_queries_are_refused_with_a_message(cm, q):
    with pytest.raises(SearchError):
        search_codes(q, on=ON)


def test_an_unknown_system_is_refused(cm):
    with pytest.raises(SearchError, match="Unknown code system"):
        search_codes("E11", system="icd9")


def test_odd_characters_are_searched_as_words_not_as_syntax(cm):
    for q in ['"', "'", "*", "a OR b", "NEAR(", "%_", "type:*", "(diabetes", "\\"]:
        search_codes(q, on=ON)


def test_similarity_is_pg_trgm_s_measure():
    assert similarity("diabetes", "diabetes") == 1
    assert round(similarity("diabetis", "diabetes"), 2) == 0.5


def test_a_piece_inside_a_word_is_found_when_no_word_starts_with_it(cm):
    assert codes_of("glycemia") == ["R739", "E1165"]
    assert codes_of("zzzqqq") == []


def test_title_start_then_the_words_side_by_side_rank_first():
    cs, _ = cm_set(
        rows=[
            ("I10", "Essential (primary) hypertension"),
            ("O1002", "Pre-existing essential hypertension complicating childbirth"),
            ("I509", "Heart failure, unspecified"),
            ("T8622", "Heart transplant failure"),
        ]
    )
    loaded(cs)
    assert codes_of("essential hypertension") == ["I10", "O1002"]
    assert codes_of("heart failure") == ["I509", "T8622"]
