"""Every grant or removal of a role, a facility or a permission is in the trail,
whichever path made it: the ORM, django-guardian, or the users-and-roles admin."""

from __future__ import annotations

import orjson
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm

from him import context, roles, trail
from him.models import AccessEvent, Facility, User

pytestmark = pytest.mark.django_db

PASSWORD = "Corr3ct-horse-battery"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# Helpers -----------------------------------------------------------------------------


@pytest.fixture
def facility():
    return Facility.objects.create(code="MAIN", name="Main Hospital")


@pytest.fixture
def user():
    return User.objects.create_user("pat", password=PASSWORD)


def role(name: str) -> Group:
    return Group.objects.get(name=name)


class Trail:
    """The privilege rows written since a point in time."""

    def __init__(self):
        self.after = AccessEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def rows(self) -> list[AccessEvent]:
        return list(
            AccessEvent.objects.filter(seq__gt=self.after, action="privilege").order_by("seq")
        )

    def changes(self) -> list[tuple[str, str, str, dict]]:
        return [
            (e.object_type, e.object_id, e.reason, orjson.loads(e.detail) if e.detail else {})
            for e in self.rows()
        ]


@pytest.fixture
def since():
    return Trail


def make_sysadmin(facility: Facility) -> tuple[User, TOTPDevice]:
    admin = User.objects.create_user("sam", password=PASSWORD, is_staff=True)
    admin.groups.add(role(roles.SYSTEM_ADMINISTRATOR))
    assign_perm("him.access_facility", admin, facility)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    return admin, device


def sign_in(client, user: User, device: TOTPDevice | None = None) -> None:
    client.force_login(user, backend=MODEL_BACKEND)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


# Roles -------------------------------------------------------------------------------------


def test_user_created_is_trailed(since):
    mark = since()
    new = User.objects.create_user("newbie", password=PASSWORD)
    assert mark.changes() == [("him.user", str(new.pk), "user created", {"username": "newbie"})]


def test_role_granted_and_removed_through_the_user(user, since):
    mark = since()
    user.groups.add(role(roles.CODER))
    user.groups.remove(role(roles.CODER))
    assert mark.changes() == [
        ("him.user", str(user.pk), "role granted", {"role": roles.CODER}),
        ("him.user", str(user.pk), "role removed", {"role": roles.CODER}),
    ]


def test_role_granted_and_removed_through_the_group(user, since):
    mark = since()
    other = User.objects.create_user("kim", password=PASSWORD)
    mark = since()
    role(roles.AUDITOR).user_set.add(user, other)
    role(roles.AUDITOR).user_set.remove(user)
    changes = mark.changes()
    assert sorted(changes[:2]) == sorted(
        [
            ("him.user", str(user.pk), "role granted", {"role": roles.AUDITOR}),
            ("him.user", str(other.pk), "role granted", {"role": roles.AUDITOR}),
        ]
    )
    assert changes[2:] == [("him.user", str(user.pk), "role removed", {"role": roles.AUDITOR})]


def test_roles_set_and_cleared(user, since):
    mark = since()
    user.groups.set([role(roles.CODER), role(roles.AUDITOR)])
    user.groups.clear()
    changes = mark.changes()
    granted = {c[3]["role"] for c in changes if c[2] == "role granted"}
    removed = {c[3]["role"] for c in changes if c[2] == "role removed"}
    assert granted == removed == {roles.CODER, roles.AUDITOR}
    assert all(c[:2] == ("him.user", str(user.pk)) for c in changes)


def test_role_change_takes_effect_on_the_same_user_object(user, facility):
    assert not user.has_perm("records.view_patient")
    user.groups.add(role(roles.CODER))
    assert user.has_perm("records.view_patient")
    assert roles.CODER in user.role_names


# Facilities ----------------------------------------------------------------------------


def test_facility_granted_and_removed_to_a_user(user, facility, since):
    mark = since()
    assign_perm("him.access_facility", user, facility)
    remove_perm("him.access_facility", user, facility)
    assert mark.changes() == [
        (
            "him.user",
            str(user.pk),
            "facility granted",
            {"facility": facility.pk, "permission": "access_facility"},
        ),
        (
            "him.user",
            str(user.pk),
            "facility removed",
            {"facility": facility.pk, "permission": "access_facility"},
        ),
    ]


def test_facility_granted_and_removed_to_a_role(facility, since):
    group = role(roles.CODER)
    mark = since()
    assign_perm("him.access_facility", group, facility)
    remove_perm("him.access_facility", group, facility)
    assert mark.changes() == [
        (
            "auth.group",
            str(group.pk),
            "facility granted to role",
            {"facility": facility.pk, "permission": "access_facility"},
        ),
        (
            "auth.group",
            str(group.pk),
            "facility removed from role",
            {"facility": facility.pk, "permission": "access_facility"},
        ),
    ]


def test_facility_grant_removed_with_the_facility_is_trailed(user, since):
    doomed = Facility.objects.create(code="OLD", name="Closed clinic")
    assign_perm("him.access_facility", user, doomed)
    mark = since()
    doomed.delete()
    assert [c[2] for c in mark.changes()] == ["facility removed"]


# Permissions and flags ----------------------------------------------------------------


def test_user_permission_granted_and_removed(user, since):
    perm = Permission.objects.get(content_type__app_label="him", codename="view_accessevent")
    mark = since()
    user.user_permissions.add(perm)
    user.user_permissions.remove(perm)
    user.user_permissions.add(perm)
    user.user_permissions.clear()
    assert [(c[2], c[3]["permission"]) for c in mark.changes()] == [
        ("permission granted", "view_accessevent"),
        ("permission removed", "view_accessevent"),
        ("permission granted", "view_accessevent"),
        ("permission removed", "view_accessevent"),
    ]


def test_role_permission_change_is_trailed(since):
    perm = Permission.objects.get(content_type__app_label="him", codename="export_accessevent")
    group = role(roles.AUDITOR)
    mark = since()
    group.permissions.add(perm)
    group.permissions.remove(perm)
    assert [(c[0], c[1], c[2], c[3]["permission"]) for c in mark.changes()] == [
        ("auth.group", str(group.pk), "permission granted to role", "export_accessevent"),
        ("auth.group", str(group.pk), "permission removed from role", "export_accessevent"),
    ]


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff", "is_active"])
def test_account_flags_are_trailed(user, since, flag):
    mark = since()
    setattr(user, flag, not getattr(user, flag))
    user.save()
    [change] = mark.changes()
    assert change[:2] == ("him.user", str(user.pk))
    assert change[3]["flag"] == flag


def test_last_login_and_profile_edits_are_not_privilege_changes(user, since):
    mark = since()
    user.first_name = "Pat"
    user.save()
    user.set_password("An0ther-long-passphrase")
    user.save(update_fields=["password"])
    assert mark.changes() == []


def test_privilege_row_names_who_made_the_change(user, facility, since):
    admin, _ = make_sysadmin(facility)
    mark = since()
    with context.use(context.RequestContext(request_id="req-1", ip="10.0.0.9", channel="web")):
        context.bind_user(admin, otp_verified=True)
        user.groups.add(role(roles.CODER))
    [event] = mark.rows()
    assert (event.user_id, event.username, event.role) == (
        admin.pk,
        "sam",
        roles.SYSTEM_ADMINISTRATOR,
    )
    assert (event.object_type, event.object_id) == ("him.user", str(user.pk))
    assert (event.ip, event.request_id) == ("10.0.0.9", "req-1")
    assert trail.verify().ok


# Through the admin ---------------------------------------------------------------------------


def test_admin_needs_a_verified_second_factor(client, facility):
    admin, device = make_sysadmin(facility)
    sign_in(client, admin)
    response = client.get("/admin/him/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

    sign_in(client, admin, device)
    response = client.get("/admin/him/user/")
    assert response.status_code == 200
    assert b"sam" in response.content


def test_admin_is_closed_to_other_roles(client, facility):
    tech = User.objects.create_user("tina", password=PASSWORD)
    tech.groups.add(role(roles.HIM_TECHNICIAN))
    sign_in(client, tech)
    response = client.get("/admin/him/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _change_form(user: User, groups: list[Group], facilities: list[Facility]) -> dict:
    prefix = "facilityuserobjectpermission_set"
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [str(g.pk) for g in groups],
        f"{prefix}-TOTAL_FORMS": str(len(facilities)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, facility in enumerate(facilities):
        data[f"{prefix}-{i}-content_object"] = str(facility.pk)
        data[f"{prefix}-{i}-user"] = str(user.pk)
    return data


def test_admin_role_and_facility_grant_are_trailed_with_the_admin_as_actor(
    client, facility, user, since
):
    admin, device = make_sysadmin(facility)
    sign_in(client, admin, device)
    url = reverse("admin:him_user_change", args=[user.pk])
    assert client.get(url).status_code == 200

    mark = since()
    response = client.post(url, _change_form(user, [role(roles.CODER)], [facility]))
    assert response.status_code == 302, response.content.decode()[:2000]

    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == [roles.CODER]
    rows = mark.rows()
    changes = {(e.object_id, e.reason) for e in rows}
    assert (str(user.pk), "role granted") in changes
    assert (str(user.pk), "facility granted") in changes
    assert all(e.user_id == admin.pk and e.username == "sam" for e in rows)
    assert all(e.role == roles.SYSTEM_ADMINISTRATOR for e in rows)

    mark = since()
    response = client.post(url, _change_form(user, [], []))
    assert response.status_code == 302
    assert [(e.reason, orjson.loads(e.detail)["role"]) for e in mark.rows()] == [
        ("role removed", roles.CODER)
    ]
    assert trail.verify().ok
