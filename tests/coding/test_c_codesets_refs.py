"""The parser that turns note text into machine-checkable code references."""

from __future__ import annotations

import pytest

from coding.services.codesets_refs import Ref, Universe, parse, parse_refs

UNIVERSE = Universe.of(
    [
        "T360X1A",
        "T360X5A",
        "T360X6A",
        "T3691XA",
        "T3695XA",
        "T3696XA",
        "T5095XA",
        "T5091XA",
        "T510X1A",
        "T510X4A",
        "T510X5A",
        "I69023",
        "I69123",
        "I69120",
        "S02101A",
        "S02101B",
        "S52001A",
        "S52001B",
        "S52001C",
        "S061X7A",
        "S061X7S",
        "F1151",
        "F11151",
        "F1050",
    ],
    {
        "S52001A": "fracture, initial encounter for closed fracture",
        "S52001B": "fracture, initial encounter for open fracture type i or ii",
        "S52001C": "fracture, initial encounter for open fracture type iiia",
    },
)


def spans(text: str) -> list[tuple[str, str, str]]:
    return [(r.start, r.end, r.suffix) for r in parse_refs(text, UNIVERSE)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("type 2 diabetes mellitus (E11.-)", [("E11", "E11", "")]),
        ("diabetic polyneuropathy (E08-E13 with .42)", [("E08", "E13", "42")]),
        (
            "(E00-E07, E15-E16, E20-E34)",
            [("E00", "E07", ""), ("E15", "E16", ""), ("E20", "E34", "")],
        ),
        ("classical cholera (A00.0)", [("A000", "A000", "")]),
        ("periprosthetic fracture (M97.0-)", [("M970", "M970", "")]),
        ("(I21.0-I21.B, I22.-)", [("I210", "I21B", ""), ("I22", "I22", "")]),
        ("(M05.00 to M05.8A)", [("M0500", "M058A", "")]),
        ("(P28.3- - P28.4-)", [("P283", "P284", "")]),
        ("(F10.- -F19.-)", [("F10", "F19", "")]),
        ("(E08-E13 with .51-.52)", [("E08", "E13", "51"), ("E08", "E13", "52")]),
        (
            "(F10, F13 with .26, .96)",
            [
                ("F10", "F10", "26"),
                ("F10", "F10", "96"),
                ("F13", "F13", "26"),
                ("F13", "F13", "96"),
            ],
        ),
        (
            "(E08, E11 with final characters .00 or .01)",
            [
                ("E08", "E08", "00"),
                ("E08", "E08", "01"),
                ("E11", "E11", "00"),
                ("E11", "E11", "01"),
            ],
        ),
        ("(S24.0 and S24.1)", [("S240", "S240", ""), ("S241", "S241", "")]),
        ("(J00-J06; J20-J22)", [("J00", "J06", ""), ("J20", "J22", "")]),
        # Separated by a space only: two codes, not a range.
        ("(I69.81- I69.91-)", [("I6981", "I6981", ""), ("I6991", "I6991", "")]),
    ],
)
def test_ranges_lists_and_suffixes(text, expected):
    assert spans(text) == expected


def test_range_with_longer_end_is_split_so_it_does_not_overreach():
    refs = parse_refs("(A00-R94 and T80-T88.6, T88.8)")
    assert Ref("T80", "T87") in refs and Ref("T880", "T886") in refs
    assert not any(r.matches("T887") for r in refs)
    assert any(r.matches("T8861XA") for r in refs) and any(r.matches("T888") for r in refs)


def test_fifth_or_sixth_character_is_resolved_against_the_code_list():
    refs = parse_refs("(T36-T50 with fifth or sixth character 5)", UNIVERSE)
    assert any(r.matches("T360X5A") for r in refs)
    assert any(r.matches("T3695XA") for r in refs)
    assert any(r.matches("T5095XA") for r in refs)
    assert not any(
        r.matches("T360X1A") or r.matches("T3691XA") or r.matches("T360X6A") for r in refs
    )


def test_intent_final_character_and_seventh_character_qualifiers():
    intent = parse_refs("(T51-T65 with fifth or sixth character to indicate intent)", UNIVERSE)
    assert any(r.matches("T510X1A") for r in intent) and any(r.matches("T510X4A") for r in intent)
    assert not any(r.matches("T510X5A") for r in intent)
    final = parse_refs("(I69. with final characters -23)", UNIVERSE)
    assert any(r.matches("I69023") for r in final) and not any(r.matches("I69120") for r in final)
    underdosing = parse_refs("(T36-T50 with final character 6)", UNIVERSE)
    assert any(r.matches("T360X6A") for r in underdosing) and any(
        r.matches("T3696XA") for r in underdosing
    )
    assert not any(r.matches("T360X5A") for r in underdosing)
    b = parse_refs("(S02.- with 7th character B)", UNIVERSE)
    assert any(r.matches("S02101B") for r in b) and not any(r.matches("S02101A") for r in b)
    open_fracture = parse_refs("(S52.- with open fracture 7th character)", UNIVERSE)
    assert {r.suffix for r in open_fracture} == {"001B", "001C"}
    sequela = parse_refs("(S06.1X- with seventh character S)", UNIVERSE)
    assert any(r.matches("S061X7S") for r in sequela) and not any(
        r.matches("S061X7A") for r in sequela
    )
    pair = parse_refs("(F11-F19 with fifth to sixth characters 51)", UNIVERSE)
    assert any(r.matches("F11151") for r in pair) and not any(r.matches("F1151") for r in pair)


def test_words_and_examples_are_not_taken_for_references():
    assert parse_refs("glucose-6-phosphate dehydrogenase (G6PD) deficiency") == []
    assert parse_refs("(e.g. tracheobronchitis to bronchitis in J40)") == []
    assert parse_refs("a note without codes (see alphabetical index)") == []
    result = parse("(E11.- or as specified by the physician)", UNIVERSE)
    assert result.refs == [] and result.unparsed == ["E11.- or as specified by the physician"]


def test_character_qualifier_without_a_code_list_is_left_unparsed():
    result = parse("(T36-T50 with fifth or sixth character 5)")
    assert result.refs == [] and result.unparsed
