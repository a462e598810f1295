"""The access policy: ``restrict`` (``visible_to``) and ``can`` answer the same way.

Rules in order: signed in and active; a verified second factor for privileged
roles; the model permission; a facility grant (direct or through a group); then
the rules apps register.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser, Group
from django.test import RequestFactory
from django_otp.middleware import OTPMiddleware

from him import context, policy, roles, trail
from him.models import AccessEvent, Facility, PHIModel, ReportRun, User
from him.testing.factories import UserFactory, confirmed_device, grant_facility
from him.testing.personas import Personas, sign_in, web_client
from records.models import Patient

pytestmark = pytest.mark.django_db

_mrn = itertools.count(1)


def patient(facility: Facility, **fields) -> Patient:
    values = {
        "mrn": f"P{next(_mrn)}",
        "family_name": "Garrow",
        "given_name": "Ines",
        "birth_date": dt.date(1961, 3, 9),
    }
    return Patient.objects.create(facility=facility, **{**values, **fields})


@pytest.fixture
def here(personas: Personas) -> Patient:
    return patient(personas.facility)


@pytest.fixture
def there(personas: Personas) -> Patient:
    return patient(personas.other_facility)


def visible(user, action: str = "view") -> set[int]:
    return set(Patient.objects.visible_to(user, action).values_list("pk", flat=True))


def assert_agree(user, action: str, *objs: Patient) -> None:
    """``can`` answers exactly what ``visible_to`` shows."""
    shown = visible(user, action)
    for obj in objs:
        assert policy.can(user, action, obj) == (obj.pk in shown), (user, action, obj)


def test_a_role_and_a_facility_reach_that_facility_only(personas, here, there):
    assert visible(personas.writer) == {here.pk}
    assert policy.can(personas.writer, "view", here)
    assert not policy.can(personas.writer, "view", there)
    assert visible(personas.outsider) == {there.pk}
    assert_agree(personas.writer, "change", here, there)


def test_no_role_reaches_nothing_even_with_a_facility(personas, here):
    assert visible(personas.no_role) == set()
    assert not policy.can(personas.no_role, "view", here)


def test_a_role_without_a_facility_reaches_nothing(personas, here, there):
    lonely = UserFactory(roles=[roles.HIM_TECHNICIAN])
    assert visible(lonely) == set()
    assert_agree(lonely, "view", here, there)


def test_read_only_role_views_but_cannot_change_or_delete(personas, here):
    assert visible(personas.reader) == {here.pk}
    for action in ("add", "change", "delete"):
        assert visible(personas.reader, action) == set()
        assert not policy.can(personas.reader, action, here)


def test_nobody_deletes_patients_through_a_role(personas, here):
    for role in roles.ALL_ROLES:
        user = UserFactory(roles=[role], facilities=[personas.facility])
        # Verified, so privileged roles are refused for their permissions, not the factor.
        with context.use(context.RequestContext(user_id=user.pk, otp_verified=True)):
            assert not policy.can(user, "delete", here), role
            assert policy.can(user, "view", here) == (role != roles.SYSTEM_ADMINISTRATOR), role


def test_facility_granted_through_a_group_works(personas, here, there):
    ward = Group.objects.create(name="North ward staff")
    grant_facility(ward, personas.other_facility)
    user = UserFactory(roles=[roles.CODER], facilities=[personas.facility])
    user.groups.add(ward)
    policy.forget(user)
    assert visible(user) == {here.pk, there.pk}
    assert_agree(user, "view", here, there)


def test_facility_granted_to_a_role_group_works(personas, here):
    user = UserFactory(roles=[roles.CODER])
    assert visible(user) == set()
    grant_facility(Group.objects.get(name=roles.CODER), personas.facility)
    policy.forget(user)
    assert visible(user) == {here.pk}


def test_a_new_grant_shows_once_the_cache_is_forgotten(personas, here, there):
    writer = personas.writer
    assert visible(writer) == {here.pk}
    grant_facility(writer, personas.other_facility)  # forgets for this user object
    assert visible(writer) == {here.pk, there.pk}


def test_inactive_user_reaches_nothing(personas, here):
    personas.writer.is_active = False
    personas.writer.save()
    assert visible(personas.writer) == set()
    assert not policy.can(personas.writer, "view", here)


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_anonymous_reaches_nothing(personas, here, nobody):
    assert visible(nobody) == set()
    assert not policy.can(nobody, "view", here)


def test_can_refuses_unsaved_and_missing_objects(personas):
    assert not policy.can(personas.writer, "view", Patient(facility=personas.facility))
    assert not policy.can(personas.writer, "view", None)


@pytest.mark.parametrize("role", [roles.HIM_MANAGER, roles.PRIVACY_OFFICER])
def test_privileged_role_without_second_factor_reaches_nothing(personas, here, role):
    user = personas.privileged(role)
    assert policy.needs_second_factor(user)
    assert visible(user) == set()
    assert not policy.can(user, "view", here)


def test_privileged_role_verified_in_the_request_reaches_its_facility(personas, here, rf):
    user = personas.privileged(roles.HIM_MANAGER)
    device = confirmed_device(user)
    request = _request_with_device(rf, user, device=None)
    assert visible(request.user) == set()
    request = _request_with_device(rf, user, device=device)
    assert request.user.is_verified()
    assert visible(request.user) == {here.pk}
    assert policy.can(request.user, "view", here)


def _request_with_device(rf: RequestFactory, user: User, device):
    """What OTPMiddleware makes of a session that did (or did not) verify ``device``."""
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    request = rf.get("/")
    request.session = SessionStore()
    if device is not None:
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.user = User.objects.get(pk=user.pk)
    OTPMiddleware(lambda r: None)(request)
    return request


def test_privileged_role_outside_a_request_trusts_the_bound_context(personas, here):
    user = personas.privileged(roles.PRIVACY_OFFICER)
    verified = context.RequestContext(user_id=user.pk, username=user.username, otp_verified=True)
    with context.use(verified):
        assert visible(user) == {here.pk}
    # A context verified for someone else does not count.
    other = context.RequestContext(user_id=personas.writer.pk, otp_verified=True)
    with context.use(other):
        assert visible(user) == set()


def test_registered_rule_narrows_both_restrict_and_can(personas, here, monkeypatch):
    quiet = patient(personas.facility, family_name="Vip")

    def hide_vip(queryset, user, action):
        return queryset.exclude(family_name="Vip")

    monkeypatch.setitem(policy._rules, Patient, [])
    policy.register_rule(Patient, hide_vip)
    policy.register_rule(Patient, hide_vip)  # registering twice adds it once
    assert policy._rules[Patient] == [hide_vip]
    assert visible(personas.writer) == {here.pk}
    assert not policy.can(personas.writer, "view", quiet)
    assert_agree(personas.writer, "change", here, quiet)


def test_a_rule_is_handed_the_queryset_already_narrowed(personas, here, there, monkeypatch):
    seen: list[set[int]] = []

    def spy(queryset, user, action):
        seen.append(set(queryset.values_list("pk", flat=True)))
        return queryset

    monkeypatch.setitem(policy._rules, Patient, [spy])
    visible(personas.writer)
    assert seen == [{here.pk}]


def test_model_scope_replaces_the_facility_rule(personas):
    mine = ReportRun.objects.create(report_key="k", requested_by=personas.reader)
    theirs = ReportRun.objects.create(report_key="k", requested_by=personas.writer)
    assert policy.can(personas.reader, "view", mine)
    assert not policy.can(personas.reader, "view", theirs)


def test_trail_rows_are_scoped_to_the_users_facilities(personas):
    manager = personas.privileged(roles.HIM_MANAGER)
    with context.use(context.RequestContext(user_id=manager.pk, otp_verified=True)):
        here_row = trail.record("read", object_type="x", facility_id=personas.facility.pk)
        there_row = trail.record("read", object_type="x", facility_id=personas.other_facility.pk)
        login_row = trail.record("login", object_type="")
        shown = set(AccessEvent.objects.visible_to(manager).values_list("seq", flat=True))
    assert here_row.seq in shown and login_row.seq in shown
    assert there_row.seq not in shown


def test_patient_and_facility_of_an_object(personas, here):
    assert policy.patient_id_of(here) == here.pk
    assert policy.facility_id_of(here) == personas.facility.pk
    assert policy.patient_id_of(personas.facility) is None
    assert policy.facility_id_of(personas.facility) is None


def test_every_phi_model_goes_through_the_policy():
    phi = [m for m in apps.get_models() if issubclass(m, PHIModel)]
    assert Patient in phi
    for model in phi:
        assert hasattr(model._default_manager, "visible_to"), model
        path = model.facility_path
        assert path or hasattr(model, "scope_for"), f"{model} reaches no facility"
        model._default_manager.filter(**{f"{path}__in": []}).exists()  # the path is real


def test_sign_in_helper_passes_the_second_factor_for_privileged_personas(personas, here):
    manager = personas.privileged(roles.HIM_MANAGER)
    assert web_client(manager).get("/records/patients/").status_code == 200
    unverified = sign_in(web_client(), manager, second_factor=False)
    response = unverified.get("/records/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/second-factor/")
