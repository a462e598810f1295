"""API plumbing: DRF under /api/v1/ with session (CSRF on) and token auth,
pagination, the orjson renderer, errors as JSON a person can read, the schema
and docs for signed-in users, and the headers every PHI response carries."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from drf_orjson_renderer.renderers import ORJSONRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from him import roles
from him.testing.factories import UserFactory, api_token
from him.testing.mixins import error_message
from him.testing.personas import Personas, TrailWatch, api_client, web_client
from records.models import Patient

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/records/patients/"


def add_patients(facility, count: int) -> list[Patient]:
    return [
        Patient.objects.create(
            facility=facility,
            mrn=f"{facility.code}-{n}",
            family_name=f"Name{n:02d}",
            given_name="Ines",
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=n),
        )
        for n in range(count)
    ]


def new_patient(personas: Personas, mrn: str = "NEW-1") -> dict:
    return {
        "facility": personas.facility.code,
        "mrn": mrn,
        "family_name": "Newcombe",
        "given_name": "Nora",
        "birth_date": "1990-06-01",
    }


@pytest.fixture
def integration(personas) -> object:
    return UserFactory(
        username="interface", roles=[roles.INTEGRATION], facilities=[personas.facility]
    )


# Session authentication keeps CSRF on ------------------------------------------------


def test_session_post_without_csrf_token_is_refused(personas):
    client = api_client(personas.writer, csrf=True)
    response = client.post(PATIENTS, new_patient(personas), format="json")
    assert response.status_code == 403
    assert "CSRF" in error_message(response)
    assert not Patient.objects.exists()


def test_session_post_with_csrf_token_is_accepted(personas):
    client = api_client(personas.writer, csrf=True)
    client.get("/records/patients/add/")  # the form page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(PATIENTS, new_patient(personas), format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_html_form_post_without_csrf_token_is_refused(personas):
    client = web_client(personas.writer, csrf=True)
    data = {**new_patient(personas), "facility": personas.facility.pk, "sex": "U"}
    response = client.post("/records/patients/add/", data)
    assert response.status_code == 403
    assert not Patient.objects.exists()


# Token authentication for integration users -----------------------------------------------


def test_token_reads_and_writes_without_csrf_and_is_attributed(personas, integration):
    add_patients(personas.facility, 2)
    client = api_client(integration, token=True, csrf=True)
    assert client.get(PATIENTS).json()["count"] == 2
    watch = TrailWatch()
    response = client.post(PATIENTS, new_patient(personas), format="json")
    assert response.status_code == 201, response.content
    row = watch.one(action="create")
    assert (row.user_id, row.username) == (integration.pk, "interface")
    assert row.role == roles.INTEGRATION
    assert row.request_id == response["X-Request-ID"]


@pytest.mark.parametrize("header", ["Token nonsense", "Token ", "Bearer abc", "Token a b"])
def test_bad_token_is_401_json(personas, header):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(PATIENTS)
    assert response.status_code == 401
    error_message(response)


def test_token_of_a_deactivated_user_is_refused(personas, integration):
    client = api_client(integration, token=True)
    integration.is_active = False
    integration.save()
    response = client.get(PATIENTS)
    assert response.status_code == 401
    assert "inactive" in error_message(response).lower()


def test_token_reaches_only_the_integration_users_facilities(personas, integration):
    add_patients(personas.other_facility, 3)
    assert api_client(integration, token=True).get(PATIENTS).json()["count"] == 0


def test_issued_token_is_one_per_user(integration):
    assert api_token(integration) == api_token(integration)


# Pagination --------------------------------------------------------------------------


def test_pagination(personas):
    add_patients(personas.facility, 7)
    client = api_client(personas.writer)
    first = client.get(PATIENTS, {"page_size": 3}).json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"] and "page_size=3" in first["next"]
    last = client.get(PATIENTS, {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    names = [r["family_name"] for r in first["results"]]
    assert names == sorted(names)  # the model's ordering: a stable page order


def test_default_page_size_and_maximum(personas):
    add_patients(personas.facility, 60)
    client = api_client(personas.writer)
    assert len(client.get(PATIENTS).json()["results"]) == 50
    assert len(client.get(PATIENTS, {"page_size": 100000}).json()["results"]) == 60


@pytest.mark.parametrize("page", ["99", "0", "-1", "abc", "1.5"])
def test_page_out_of_range_is_a_json_404(personas, page):
    add_patients(personas.facility, 2)
    response = api_client(personas.writer).get(PATIENTS, {"page": page})
    assert response.status_code == 404
    assert "page" in error_message(response).lower()


# Renderer -------------------------------------------------------------------------------


def test_responses_are_rendered_by_orjson(personas):
    add_patients(personas.facility, 1)
    response = api_client(personas.writer).get(PATIENTS)
    assert isinstance(response.accepted_renderer, ORJSONRenderer)
    assert response["Content-Type"] == "application/json"
    row = response.json()["results"][0]
    assert row["birth_date"] == "1950-01-01"
    assert row["created_at"].endswith(("Z", "+00:00"))


# Errors as JSON a person can act on ---------------------------------------------------------


def test_validation_error_shape(personas):
    body = {**new_patient(personas), "birth_date": "yesterday", "family_name": ""}
    response = api_client(personas.writer).post(PATIENTS, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "invalid"
    assert error["message"].startswith("Please correct the fields listed")
    assert set(error["fields"]) == {"birth_date", "family_name"}


@pytest.mark.parametrize(
    ("method", "body", "content_type", "status"),
    [
        ("post", b"{not json", "application/json", 400),
        ("post", b"[1, 2, 3]", "application/json", 400),
        ("post", b"null", "application/json", 400),
        ("post", b"\xff\xfe", "application/json", 400),
        ("post", b"family_name=x", "text/plain", 415),
        ("put", b"{}", "application/json", 405),
        ("patch", b"{}", "application/json", 405),
    ],
)
def test_malformed_requests_get_json_errors_not_500(personas, method, body, content_type, status):
    client = api_client(personas.writer)
    response = getattr(client, method)(PATIENTS, body, content_type=content_type)
    assert response.status_code == status, response.content
    error_message(response)
    assert not Patient.objects.exists()


def test_unexpected_failure_is_a_json_500_without_a_traceback(personas, monkeypatch):
    from records.api.patients import PatientViewSet

    def boom(self, request, *args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(PatientViewSet, "list", boom)
    client = api_client(personas.writer)
    client.raise_request_exception = False
    response = client.get(PATIENTS)
    assert response.status_code == 500
    assert "Nothing you saved" in error_message(response)
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        PATIENTS + "%00/",
        PATIENTS + "x" * 300 + "/",
        PATIENTS + "'; DROP TABLE records_patient; --/",
        PATIENTS + "..%2F..%2Fetc%2Fpasswd/",
        "/api/v1/trail/events/not-a-number/",
        "/api/v1/reports/runs/not-a-uuid/",
    ],
)
def test_odd_lookups_are_404(personas, path):
    response = api_client(personas.writer).get(path)
    assert response.status_code in (403, 404), response.content
    error_message(response)


@pytest.mark.parametrize(
    "path",
    [
        "/records/patients/%00/",
        "/records/patients/%00/edit/",
        "/records/patients/" + "é" * 300 + "/",
    ],
)
def test_odd_lookups_on_screens_are_404(personas, path):
    """A NUL byte once reached PostgreSQL, which refuses it in text: a 500."""
    assert web_client(personas.writer).get(path).status_code == 404
    expected = 404 if path.endswith("edit/") else 405  # a detail page takes no POST
    assert web_client(personas.writer).post(path, {}).status_code == expected


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "mrn", "birth_date", "facility", "ordering", "page", "page_size"]),
        st.text(alphabet=string.printable + "\x00éß\u202e", max_size=40),
        max_size=4,
    )
)
def test_no_query_string_makes_the_list_fail(personas, params):
    """Whatever the filters say, the answer is a page or a 400/404, never a 500."""
    response = api_client(personas.writer).get(PATIENTS, params)
    assert response.status_code in (200, 400, 404), (params, response.status_code)
    if response.status_code != 200:
        error_message(response)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(
                st.text(max_size=40),
                st.integers(),
                st.none(),
                st.booleans(),
                st.lists(st.integers(), max_size=2),
            )
            for name in ("facility", "mrn", "family_name", "given_name", "birth_date", "sex")
        },
    )
)
def test_no_create_body_makes_the_api_fail(personas, body):
    response = api_client(personas.writer).post(PATIENTS, body, format="json")
    assert response.status_code in (201, 400), (body, response.status_code)
    if response.status_code == 400:
        error_message(response)
    Patient.objects.all().delete()


# Schema and docs --------------------------------------------------------------------------------


def test_schema_and_docs_for_signed_in_users(personas):
    client = web_client(personas.reader)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/records/patients/" in paths
    assert "/api/v1/records/patients/{enterprise_id}/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()  # assets come from the sidecar package


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_refuse_anonymous(client, path):
    assert client.get(path).status_code in (401, 403)


# Headers on every PHI response -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        PATIENTS,
        "/records/patients/",
        "/records/patients/add/",
        "/records/patients/NOSUCH/",
        PATIENTS + "NOSUCH/",
        "/api/docs/",
        "/",
    ],
)
def test_phi_responses_are_not_cached_and_csp_is_self(personas, path):
    response = web_client(personas.writer).get(path)
    assert response["Cache-Control"] == "no-store"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy and "*" not in policy
    assert "script-src" not in policy or "unsafe" not in policy.split("script-src")[1].split(";")[0]


def test_denied_and_anonymous_responses_carry_the_headers_too(personas):
    for response in (
        api_client().get(PATIENTS),
        web_client().get("/records/patients/"),
        web_client(personas.no_role).get("/records/patients/"),
    ):
        assert response["Cache-Control"] == "no-store"
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_errors_of_list_items_are_a_400_not_a_500():
    """DRF keys a list item's errors by an int index; the error body must still render."""
    from rest_framework import serializers
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from him.api.errors import exception_handler

    class Body(serializers.Serializer):
        codes = serializers.ListField(child=serializers.IntegerField())

    class View(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def post(self, request):
            Body(data=request.data).is_valid(raise_exception=True)

        def get_exception_handler(self):
            return exception_handler

    request = APIRequestFactory().post("/x/", {"codes": [1, "two"]}, format="json")
    response = View.as_view()(request)
    response.render()
    assert response.status_code == 400
    assert b"codes" in response.content
