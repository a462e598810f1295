"""The code search API: results, detail, clear 400s, sign-in and permission."""

from __future__ import annotations

import pytest
from c_search_support import ON, cm_set, cm_with_notes, fracture_with_seventh, loaded

from him.testing.mixins import error_message
from him.testing.personas import TrailWatch, api_client

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/coding/codes/"


@pytest.fixture
def cm():
    cs, _ = cm_set()
    return loaded(cs)


def test_search_returns_codes_best_first(personas, cm):
    response = api_client(personas.reader).get(SEARCH, {"q": "e11.6", "on": ON.isoformat()})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results[0] == {
        "code": "E116",
        "dotted": "E11.6",
        "title": "Type 2 diabetes mellitus with other specified complications",
        "billable": False,
        "system": "icd10cm",
        "kind": "code",
    }
    assert [r["code"] for r in results[1:]] == ["E1165", "E1169"]


def test_search_with_a_token_and_billable_only(personas, cm):
    client = api_client(personas.reader, token=True)
    response = client.get(SEARCH, {"q": "diabetis", "billable": "true", "on": ON.isoformat()})
    assert response.status_code == 200
    codes = [r["code"] for r in response.json()["results"]]
    assert codes and all(r["billable"] for r in response.json()["results"])
    assert "E119" in codes


def test_search_reads_no_patient_information_so_writes_no_trail(personas, cm):
    watch = TrailWatch()
    api_client(personas.reader).get(SEARCH, {"q": "pneumonia", "on": ON.isoformat()})
    watch.none(action="search")
    watch.none(action="read")


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "Type a code or some words"),
        ({"q": "   "}, "Type a code or some words"),
        ({"q": "E11", "system": "icd9"}, "system"),
        ({"q": "E11", "on": "2026-02-30"}, "on"),
        ({"q": "E11", "on": "yesterday"}, "on"),
        ({"q": "E11", "billable": "maybe"}, "billable"),
        ({"q": "E11", "limit": "0"}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "NUL character"),  # refused before the view (him.middleware)
    ],
)
def test_bad_input_is_a_clear_400(personas, cm, params, says):
    response = api_client(personas.reader).get(SEARCH, params)
    assert response.status_code == 400, response.content
    assert says in error_message(response)


def test_a_date_without_a_code_set_answers_no_results(personas, cm):
    response = api_client(personas.reader).get(SEARCH, {"q": "E11", "on": "1999-01-01"})
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_anonymous_callers_are_refused(cm):
    response = api_client().get(SEARCH, {"q": "E11"})
    assert response.status_code in (401, 403)
    response = api_client().get(f"{SEARCH}icd10cm/E11/")
    assert response.status_code in (401, 403)


def test_a_role_without_code_set_permission_gets_403_and_a_denial_row(personas, cm):
    watch = TrailWatch()
    response = api_client(personas.no_role).get(SEARCH, {"q": "E11"})
    assert response.status_code == 403
    assert watch.one(action="denied").username == "norole"
    assert api_client(personas.no_role).get(f"{SEARCH}icd10cm/E11/").status_code == 403


def test_detail_lists_notes_hierarchy_and_children(personas):
    cm_with_notes()
    response = api_client(personas.reader).get(f"{SEARCH}icd10cm/E11.65/", {"on": ON.isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["code"], body["dotted"], body["billable"], body["valid_on"]) == (
        "E1165",
        "E11.65",
        True,
        True,
    )
    assert [a["code"] for a in body["ancestors"]] == ["4", "E08-E13", "E11"]
    assert body["notes"]["excludes1"][0] == {
        "text": "type 1 diabetes mellitus (E10.-)",
        "from": "E11",
        "references": [{"start": "E10", "end": "E10", "suffix": ""}],
        "codes": ["E10"],
    }
    assert body["notes"]["inclusion"][0]["text"].endswith("hyperglycaemia")
    parent = api_client(personas.reader).get(f"{SEARCH}icd10cm/E11/", {"on": ON.isoformat()})
    assert parent.status_code == 200, parent.content
    assert [c["code"] for c in parent.json()["children"]] == ["E119", "E1165"]


def test_detail_names_the_seventh_characters_from_the_category(personas):
    fracture_with_seventh()
    body = (
        api_client(personas.reader).get(f"{SEARCH}icd10cm/S72001/", {"on": ON.isoformat()}).json()
    )
    assert body["seventh_characters_from"] == "S72"
    assert body["seventh_characters"][0] == {
        "character": "A",
        "meaning": "initial encounter for closed fracture",
    }


def test_detail_of_an_unknown_code_is_404_and_a_bad_system_400(personas, cm):
    client = api_client(personas.reader)
    response = client.get(f"{SEARCH}icd10cm/Q999999/")
    assert response.status_code == 404
    assert "Q999999" in error_message(response)
    response = client.get(f"{SEARCH}icd9/250/")
    assert response.status_code == 400
    assert "Unknown code system" in error_message(response)
    assert client.get(f"{SEARCH}icd10cm/E11/", {"on": "13/13/2026"}).status_code == 400


def test_schema_documents_both_endpoints(personas):
    response = api_client(personas.reader).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/coding/codes/" in paths
    assert "/api/v1/coding/codes/{system}/{code}/" in paths
    names = [p["name"] for p in paths["/api/v1/coding/codes/"]["get"]["parameters"]]
    assert {"q", "system", "on", "billable"} <= set(names)
