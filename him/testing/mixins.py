"""Generic policy-contract tests a model's test class declares.

    class TestPatient(PolicyContract):
        model = Patient
        list_url = "/records/patients/"
        api_list_url = "/api/v1/records/patients/"
        ...

and it gets, for the HTML screens and the API alike: anonymous callers sent to
sign in (or 401); lists that show only what the user may reach and write one
trail row naming what was shown; detail reads in scope (200 and a read row
naming the object and its patient) and out of scope (404, a not-found row, and
a body no different from a record that never existed); "no model permission:
403" with a denial row; a read-only role refused every write; create, update
and delete writing their rows; and a write that would leave the user's reach
refused and rolled back.

Hooks left as ``None`` skip the checks that need them (a model with no HTML
edit page, say). ``make`` is required.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any, ClassVar

import orjson
import pytest
from django.contrib.auth.models import Permission
from django.db import models

from him import policy, roles, trail
from him.models import Facility, User
from him.testing.personas import Personas, TrailWatch, api_client, web_client
from him.trail import Action, Outcome

LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Every stored column of ``obj`` as the database holds it now."""
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields}


def results(response) -> list[dict]:
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def form_errors(response) -> object:
    """The form's errors on a re-shown page, to explain a failed assertion."""
    form = response.context.get("form") if response.context else None
    return form.errors if form is not None else response.status_code


def error_message(response) -> str:
    """The person-readable message of an API error (shape in him/api/errors.py)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["status"] == response.status_code, body
    assert body["error"]["message"], body
    return body["error"]["message"]


class PolicyContract:
    """Base for a PHI model's test class; see the module docstring."""

    model: ClassVar[type[models.Model]]
    writer_role: ClassVar[str] = roles.HIM_TECHNICIAN
    reader_role: ClassVar[str] = roles.AUDITOR
    facility_field: ClassVar[str] = "facility"

    list_url: ClassVar[str | None] = None
    create_url: ClassVar[str | None] = None
    api_list_url: ClassVar[str | None] = None

    # Hooks ---------------------------------------------------------------------------

    def make(self, facility: Facility) -> models.Model:
        raise NotImplementedError("PolicyContract needs make(facility)")

    def detail_url(self, obj) -> str | None:
        return None

    def update_url(self, obj) -> str | None:
        return None

    def delete_url(self, obj) -> str | None:
        return None

    def api_detail_url(self, obj) -> str | None:
        return None

    def create_payload(self, facility: Facility) -> dict | None:
        """API body that creates a valid new object at ``facility``."""
        return None

    def update_payload(self, obj) -> dict | None:
        """API PATCH body that changes ``obj`` (and keeps it in the same facility)."""
        return None

    def form_data(self, facility: Facility, obj=None) -> dict | None:
        """HTML form data creating a new object (``obj`` None) or editing ``obj``."""
        return None

    def search_params(self, obj) -> dict | None:
        """List filters that find ``obj`` (the list then writes a search row)."""
        return None

    def ref(self, obj) -> str:
        """How the trail and the API name ``obj`` (its public id, else its pk)."""
        return trail.object_label(obj)[1]

    def label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    # Fixtures --------------------------------------------------------------------------

    @pytest.fixture
    def personas(self, db) -> Personas:
        return Personas.create(writer_role=self.writer_role, reader_role=self.reader_role)

    @pytest.fixture
    def inside(self, personas) -> models.Model:
        return self.make(personas.facility)

    @pytest.fixture
    def outside(self, personas) -> models.Model:
        return self.make(personas.other_facility)

    @pytest.fixture
    def deleter(self, personas) -> User:
        """The writer's role plus the model's delete permission, granted directly.

        Roles may not delete PHI at all; the deletion machinery is still checked.
        """
        user = personas.writer
        meta = self.model._meta
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label=meta.app_label, codename=f"delete_{meta.model_name}"
            )
        )
        policy.forget(user)
        return user

    @pytest.fixture
    def seal_after_write(self, monkeypatch):
        """Register a rule that hides ``objects`` from view (never from change).

        A write then passes every check on the way in, but leaves the object
        outside the writer's reach: exactly what the re-check must roll back.
        Call it with the objects to hide, or with nothing to hide every object.
        """

        def seal(*objects: models.Model) -> None:
            pks = [o.pk for o in objects]

            def rule(queryset, user, action):
                if action != "view":
                    return queryset
                return queryset.exclude(pk__in=pks) if pks else queryset.none()

            current = list(policy._rules.get(self.model, []))
            monkeypatch.setitem(policy._rules, self.model, [*current, rule])

        return seal

    def need(self, value):
        """``value``, or skip the calling check: the class left its hook as None."""
        if value is None:
            check = sys._getframe(1).f_code.co_name
            pytest.skip(f"{type(self).__name__} declares no hook for {check}")
        return value

    # Anonymous ------------------------------------------------------------------------

    def test_anonymous_is_sent_to_sign_in(self, inside, trail_watch):
        client = web_client()
        urls = [self.list_url, self.create_url, self.detail_url(inside), self.update_url(inside)]
        urls = [u for u in urls if u]
        for url in self.need(urls or None):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(LOGIN_PREFIXES), url
        api = api_client()
        for url in [u for u in (self.api_list_url, self.api_detail_url(inside)) if u]:
            response = api.get(url)
            assert response.status_code == 401, url
            error_message(response)
        trail_watch.none(object_type=self.label(), outcome=Outcome.SUCCESS)

    # Lists -----------------------------------------------------------------------------

    def test_list_shows_in_scope_only_and_trails_what_was_shown(
        self, personas, inside, outside, trail_watch
    ):
        url = self.need(self.list_url)
        response = web_client(personas.writer).get(url)
        assert response.status_code == 200
        assert [o.pk for o in response.context["object_list"]] == [inside.pk]
        row = trail_watch.one(action=Action.READ, object_type=self.label())
        assert row.user_id == personas.writer.pk
        assert orjson.loads(row.detail)["shown"] == [self.ref(inside)]
        assert self.ref(outside) not in response.content.decode()

    def test_api_list_shows_in_scope_only_and_trails_what_was_shown(
        self, personas, inside, outside, trail_watch
    ):
        url = self.need(self.api_list_url)
        response = api_client(personas.writer).get(url)
        assert response.status_code == 200
        shown = results(response)
        assert len(shown) == 1
        assert self.ref(inside) in {str(v) for v in shown[0].values()}
        assert self.ref(outside) not in response.content.decode()
        row = trail_watch.one(action=Action.READ, object_type=self.label())
        assert row.user_id == personas.writer.pk
        assert orjson.loads(row.detail)["shown"] == [self.ref(inside)]

    def test_search_writes_one_search_row_with_the_criteria(
        self, personas, inside, outside, trail_watch
    ):
        params = self.need(self.search_params(inside))
        for client, url in (
            (web_client(personas.writer), self.list_url),
            (api_client(personas.writer), self.api_list_url),
        ):
            if not url:
                continue
            trail_watch.mark()
            assert client.get(url, params).status_code == 200
            row = trail_watch.one(action=Action.SEARCH, object_type=self.label())
            detail = orjson.loads(row.detail)
            assert detail["criteria"] == {k: str(v) for k, v in params.items()}
            assert detail["shown"] == [self.ref(inside)]
            # The other facility's match is not shown, even when searched for by name.
            trail_watch.mark()
            client.get(url, self.search_params(outside))
            assert orjson.loads(trail_watch.one(action=Action.SEARCH).detail)["shown"] == []

    # Detail ----------------------------------------------------------------------------

    def _assert_read_row(self, trail_watch: TrailWatch, obj, user: User) -> None:
        row = trail_watch.one(action=Action.READ, object_type=self.label())
        assert row.outcome == Outcome.SUCCESS
        assert row.object_id == self.ref(obj)
        assert row.user_id == user.pk
        assert row.patient_id == policy.patient_id_of(obj)
        assert row.facility_id == policy.facility_id_of(obj)

    def test_detail_in_scope_is_shown_and_trailed(self, personas, inside, trail_watch):
        url = self.need(self.detail_url(inside))
        response = web_client(personas.writer).get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        self._assert_read_row(trail_watch, inside, personas.writer)

    def test_api_detail_in_scope_is_shown_and_trailed(self, personas, inside, trail_watch):
        url = self.need(self.api_detail_url(inside))
        response = api_client(personas.reader).get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert self.ref(inside) in {str(v) for v in response.json().values()}
        self._assert_read_row(trail_watch, inside, personas.reader)

    def test_detail_out_of_scope_is_404_and_trailed(self, personas, outside, trail_watch):
        url = self.need(self.detail_url(outside))
        response = web_client(personas.writer).get(url)
        assert response.status_code == 404
        row = trail_watch.one(object_type=self.label())
        assert (row.action, row.outcome) == (Action.READ, Outcome.NOT_FOUND)
        assert row.object_id == self.ref(outside)
        assert row.user_id == personas.writer.pk

    def test_api_detail_out_of_scope_is_404_like_a_record_that_never_existed(
        self, personas, outside, trail_watch
    ):
        url = self.need(self.api_detail_url(outside))
        client = api_client(personas.writer)
        response = client.get(url)
        assert response.status_code == 404
        row = trail_watch.one(object_type=self.label())
        assert (row.action, row.outcome) == (Action.READ, Outcome.NOT_FOUND)
        assert row.object_id == self.ref(outside)
        # Nothing tells an existing record from one that never existed.
        missing = client.get(url.replace(self.ref(outside), f"X{uuid.uuid4().hex[:8]}"))
        assert missing.status_code == 404
        assert missing.json() == response.json()
        assert self.ref(outside) not in response.content.decode()

    # No model permission ----------------------------------------------------------------

    def test_no_model_permission_is_403_and_trailed(self, personas, inside, trail_watch):
        urls = [u for u in (self.list_url, self.detail_url(inside)) if u]
        for url in self.need(urls or None):
            trail_watch.mark()
            response = web_client(personas.no_role).get(url)
            assert response.status_code == 403, url
            row = trail_watch.one(object_type=self.label())
            assert (row.action, row.outcome) == (Action.DENIED, Outcome.DENIED)
            assert row.user_id == personas.no_role.pk

    def test_api_no_model_permission_is_403_and_trailed(self, personas, inside, trail_watch):
        urls = [u for u in (self.api_list_url, self.api_detail_url(inside)) if u]
        for url in self.need(urls or None):
            trail_watch.mark()
            response = api_client(personas.no_role).get(url)
            assert response.status_code == 403, url
            error_message(response)
            row = trail_watch.one(object_type=self.label())
            assert (row.action, row.outcome) == (Action.DENIED, Outcome.DENIED)

    # Read-only role ----------------------------------------------------------------------

    def test_read_only_role_cannot_write_through_the_api(self, personas, inside, trail_watch):
        client = api_client(personas.reader)
        before, count = snapshot(inside), self.model._default_manager.count()
        attempts = []
        if self.api_list_url and self.create_payload(personas.facility) is not None:
            attempts.append(("post", self.api_list_url, self.create_payload(personas.facility)))
        detail = self.api_detail_url(inside)
        if detail and self.update_payload(inside) is not None:
            attempts.append(("patch", detail, self.update_payload(inside)))
        if detail:
            attempts.append(("delete", detail, None))
        for method, url, body in self.need(attempts or None):
            trail_watch.mark()
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 403, (method, url)
            error_message(response)
            row = trail_watch.one(object_type=self.label())
            assert (row.action, row.outcome) == (Action.DENIED, Outcome.DENIED)
        assert snapshot(inside) == before
        assert self.model._default_manager.count() == count

    def test_read_only_role_cannot_write_through_the_screens(self, personas, inside, trail_watch):
        client = web_client(personas.reader)
        before, count = snapshot(inside), self.model._default_manager.count()
        attempts = []
        if self.create_url:
            attempts += [
                ("get", self.create_url, None),
                ("post", self.create_url, self.form_data(personas.facility) or {}),
            ]
        if self.update_url(inside):
            attempts += [
                ("get", self.update_url(inside), None),
                ("post", self.update_url(inside), self.form_data(personas.facility, inside) or {}),
            ]
        if self.delete_url(inside):
            attempts.append(("post", self.delete_url(inside), {}))
        for method, url, data in self.need(attempts or None):
            trail_watch.mark()
            response = getattr(client, method)(url, data)
            assert response.status_code == 403, (method, url)
            trail_watch.one(action=Action.DENIED, object_type=self.label())
        assert snapshot(inside) == before
        assert self.model._default_manager.count() == count

    # Writes ---------------------------------------------------------------------------

    def test_api_create_writes_a_create_row(self, personas, trail_watch):
        payload = self.need(self.create_payload(personas.facility))
        url = self.need(self.api_list_url)
        response = api_client(personas.writer).post(url, payload, format="json")
        assert response.status_code == 201, response.content
        row = trail_watch.one(action=Action.CREATE, object_type=self.label())
        obj = self.model._default_manager.get(**{f"{self.facility_field}": personas.facility})
        assert row.object_id == self.ref(obj)
        assert row.user_id == personas.writer.pk
        assert row.facility_id == personas.facility.pk

    def test_api_update_writes_an_update_row(self, personas, inside, trail_watch):
        payload = self.need(self.update_payload(inside))
        url = self.need(self.api_detail_url(inside))
        before = snapshot(inside)
        response = api_client(personas.writer).patch(url, payload, format="json")
        assert response.status_code == 200, response.content
        assert snapshot(inside) != before
        row = trail_watch.one(action=Action.UPDATE, object_type=self.label())
        assert row.object_id == self.ref(inside)
        assert row.patient_id == policy.patient_id_of(inside)

    def test_api_delete_writes_a_delete_row(self, deleter, inside, trail_watch):
        url = self.need(self.api_detail_url(inside))
        ref, patient_id = self.ref(inside), policy.patient_id_of(inside)
        response = api_client(deleter).delete(url)
        assert response.status_code == 204, response.content
        assert not self.model._default_manager.filter(pk=inside.pk).exists()
        row = trail_watch.one(action=Action.DELETE, object_type=self.label())
        assert (row.object_id, row.patient_id) == (ref, patient_id)

    def test_html_create_writes_a_create_row(self, personas, trail_watch):
        url = self.need(self.create_url)
        data = self.need(self.form_data(personas.facility))
        response = web_client(personas.writer).post(url, data)
        assert response.status_code == 302, form_errors(response)
        obj = self.model._default_manager.get(**{f"{self.facility_field}": personas.facility})
        row = trail_watch.one(action=Action.CREATE, object_type=self.label())
        assert row.object_id == self.ref(obj)
        assert row.user_id == personas.writer.pk

    def test_html_update_writes_an_update_row(self, personas, inside, trail_watch):
        url = self.need(self.update_url(inside))
        data = self.need(self.form_data(personas.facility, inside))
        before = snapshot(inside)
        response = web_client(personas.writer).post(url, data)
        assert response.status_code == 302, form_errors(response)
        assert snapshot(inside) != before
        row = trail_watch.one(action=Action.UPDATE, object_type=self.label())
        assert row.object_id == self.ref(inside)

    def test_html_delete_writes_a_delete_row(self, deleter, inside, trail_watch):
        url = self.need(self.delete_url(inside))
        ref = self.ref(inside)
        response = web_client(deleter).post(url)
        assert response.status_code == 302
        assert not self.model._default_manager.filter(pk=inside.pk).exists()
        assert trail_watch.one(action=Action.DELETE, object_type=self.label()).object_id == ref

    # Out of scope writes -----------------------------------------------------------------

    def test_writes_to_an_object_out_of_scope_are_404(
        self, personas, deleter, outside, trail_watch
    ):
        # The writer may change and (as ``deleter``) delete, only not at this facility.
        before = snapshot(outside)
        detail = self.api_detail_url(outside)
        attempts = []
        if detail and self.update_payload(outside) is not None:
            attempts.append((api_client(deleter), "patch", detail, self.update_payload(outside)))
        if detail:
            attempts.append((api_client(deleter), "delete", detail, None))
        if self.update_url(outside):
            attempts.append(
                (
                    web_client(personas.writer),
                    "post",
                    self.update_url(outside),
                    self.form_data(personas.facility, outside) or {},
                )
            )
        for client, method, url, body in self.need(attempts or None):
            trail_watch.mark()
            kwargs = {"format": "json"} if hasattr(client, "credentials") else {}
            response = getattr(client, method)(url, body, **kwargs)
            assert response.status_code == 404, (method, url)
            row = trail_watch.one(object_type=self.label())
            assert row.outcome == Outcome.NOT_FOUND
            assert row.object_id == self.ref(outside)
        assert snapshot(outside) == before

    def test_moving_to_an_unreachable_facility_is_refused(self, personas, inside):
        before = snapshot(inside)
        checked = 0
        api_url = self.api_detail_url(inside)
        payload = self.create_payload(personas.other_facility)
        if api_url and payload and self.facility_field in payload:
            body = {self.facility_field: payload[self.facility_field]}
            response = api_client(personas.writer).patch(api_url, body, format="json")
            assert response.status_code == 400
            assert self.facility_field in response.json()["error"]["fields"]
            checked += 1
        html_url = self.update_url(inside)
        data = self.form_data(personas.other_facility, inside)
        if html_url and data and self.facility_field in data:
            response = web_client(personas.writer).post(html_url, data)
            assert response.status_code == 200
            assert self.facility_field in response.context["form"].errors
            checked += 1
        self.need(checked or None)
        assert snapshot(inside) == before

    def test_api_update_that_leaves_reach_is_rolled_back(
        self, personas, inside, seal_after_write, trail_watch
    ):
        url = self.need(self.api_detail_url(inside))
        payload = self.need(self.update_payload(inside))
        before = snapshot(inside)
        seal_after_write(inside)
        response = api_client(personas.writer).patch(url, payload, format="json")
        assert response.status_code == 403
        assert "outside the facilities you can reach" in error_message(response)
        assert snapshot(inside) == before
        trail_watch.none(action=Action.UPDATE)
        row = trail_watch.one(action=Action.DENIED, object_type=self.label())
        assert "rolled back" in row.reason

    def test_api_create_that_leaves_reach_is_rolled_back(
        self, personas, seal_after_write, trail_watch
    ):
        url = self.need(self.api_list_url)
        payload = self.need(self.create_payload(personas.facility))
        count = self.model._default_manager.count()
        seal_after_write()
        response = api_client(personas.writer).post(url, payload, format="json")
        assert response.status_code == 403
        error_message(response)
        assert self.model._default_manager.count() == count
        trail_watch.none(action=Action.CREATE)
        assert "rolled back" in trail_watch.one(action=Action.DENIED).reason

    def test_html_update_that_leaves_reach_is_rolled_back(
        self, personas, inside, seal_after_write, trail_watch
    ):
        url = self.need(self.update_url(inside))
        data = self.need(self.form_data(personas.facility, inside))
        before = snapshot(inside)
        seal_after_write(inside)
        response = web_client(personas.writer).post(url, data)
        assert response.status_code == 200
        assert "outside the facilities you can reach" in response.content.decode()
        assert snapshot(inside) == before
        trail_watch.none(action=Action.UPDATE)
        assert "rolled back" in trail_watch.one(action=Action.DENIED).reason

    def test_html_create_that_leaves_reach_is_rolled_back(
        self, personas, seal_after_write, trail_watch
    ):
        url = self.need(self.create_url)
        data = self.need(self.form_data(personas.facility))
        count = self.model._default_manager.count()
        seal_after_write()
        response = web_client(personas.writer).post(url, data)
        assert response.status_code == 200
        assert "outside the facilities you can reach" in response.content.decode()
        assert self.model._default_manager.count() == count
        trail_watch.none(action=Action.CREATE)
        assert "rolled back" in trail_watch.one(action=Action.DENIED).reason
