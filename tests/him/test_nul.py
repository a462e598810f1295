"""A NUL character in a query or form field is a 400 that says so, never a 500
(PostgreSQL cannot take a string holding one; on SQLite it would go through)."""

from __future__ import annotations

import pytest

from him.middleware import NUL_MESSAGE
from him.testing.mixins import error_message
from him.testing.personas import api_client, web_client
from records.models import Patient

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_query_value_is_refused_on_the_page(personas):
    # The patient lookup by enterprise id went straight to the database.
    response = web_client(personas.writer).get("/records/documents/add/", {"patient": "E\x00"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_saved(personas):
    before = Patient.objects.count()
    response = web_client(personas.writer).post(
        "/records/patients/add/",
        {
            "facility": personas.facility.pk,
            "mrn": "NUL1",
            "family_name": "Null\x00",
            "given_name": "Ana",
            "birth_date": "1980-01-01",
            "sex": "F",
        },
    )
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert Patient.objects.count() == before


def test_a_nul_in_an_api_query_is_a_json_400(personas):
    response = api_client(personas.writer).get("/api/v1/records/patients/", {"search": "\x00"})
    assert response.status_code == 400
    assert error_message(response) == NUL_MESSAGE


def test_ordinary_requests_pass(personas):
    assert web_client(personas.writer).get("/records/patients/", {"q": "Smith"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/records/identifiers/", "/api/v1/records/documents/"])
def test_a_nul_in_a_json_body_is_a_400_and_saves_nothing(personas, path):
    # A patient's enterprise id is looked up as it came: on PostgreSQL a 500 before.
    response = api_client(personas.writer).post(
        path, {"patient": "E\x00", "system": "x", "value": "1"}, format="json"
    )
    assert response.status_code == 400
    assert error_message(response) == NUL_MESSAGE


def test_a_json_body_with_an_escaped_backslash_is_not_taken_for_nul(personas):
    # The text \u0000 typed as such (an escaped backslash) is no NUL character.
    response = api_client(personas.writer).post(
        "/api/v1/records/identifiers/",
        b'{"patient": "E\\\\u0000", "system": "x", "value": "1"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert error_message(response) != NUL_MESSAGE
