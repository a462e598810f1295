"""Personas: the people every access test needs, made the same way everywhere.

- ``writer``: a role that keeps records (HIM technician), granted ``facility``;
- ``reader``: a read-only role (Auditor), granted ``facility``;
- ``outsider``: the writer's role, granted only ``other_facility``;
- ``no_role``: granted ``facility`` but holding no role at all.

Signing in goes through the session (``force_login``) or an API token, so the
real authentication, middleware and policy run; nothing is forced past them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from him import policy, roles
from him.models import AccessEvent, Facility, User
from him.testing.factories import FacilityFactory, UserFactory, api_token, confirmed_device

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass
class Personas:
    facility: Facility
    other_facility: Facility
    writer: User
    reader: User
    outsider: User
    no_role: User

    @classmethod
    def create(
        cls, *, writer_role: str = roles.HIM_TECHNICIAN, reader_role: str = roles.AUDITOR
    ) -> Personas:
        facility = FacilityFactory(code="INSCOPE", name="In-scope Hospital")
        other = FacilityFactory(code="OTHER", name="Other Hospital")
        return cls(
            facility=facility,
            other_facility=other,
            writer=UserFactory(username="writer", roles=[writer_role], facilities=[facility]),
            reader=UserFactory(username="reader", roles=[reader_role], facilities=[facility]),
            outsider=UserFactory(username="outsider", roles=[writer_role], facilities=[other]),
            no_role=UserFactory(username="norole", facilities=[facility]),
        )

    def privileged(self, role: str = roles.HIM_MANAGER, username: str = "") -> User:
        """A user in a role that needs a second factor, granted ``facility``."""
        return UserFactory(
            username=username or role.lower().replace(" ", "_"),
            roles=[role],
            facilities=[self.facility],
        )


def is_privileged(user: User) -> bool:
    return bool(set(user.role_names) & set(settings.OTP_REQUIRED_ROLES))


def verify_second_factor(client: Client, user: User) -> TOTPDevice:
    """Mark the client's session as verified, as django-otp's ``login`` does."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def sign_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """Sign ``user`` in on ``client``; privileged users also pass the second factor
    unless ``second_factor=False``."""
    policy.forget(user)
    client.force_login(user, backend=MODEL_BACKEND)
    if second_factor and is_privileged(user):
        verify_second_factor(client, user)
    return client


def web_client(user: User | None = None, *, csrf: bool = False, **kwargs) -> Client:
    """A browser-like client, signed in as ``user`` (anonymous when None)."""
    client = Client(enforce_csrf_checks=csrf, **kwargs)
    return sign_in(client, user) if user is not None else client


def api_client(user: User | None = None, *, token: bool = False, csrf: bool = False) -> APIClient:
    """An API client: session sign-in by default, ``Authorization: Token`` with token=True."""
    client = APIClient(enforce_csrf_checks=csrf)
    if user is None:
        return client
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user).key}")
        return client
    return sign_in(client, user)


class TrailWatch:
    """The trail rows written after a mark: ``watch.one(action="read")``."""

    def __init__(self) -> None:
        self.mark()

    def mark(self) -> None:
        self.after = AccessEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def rows(self, **filters) -> list[AccessEvent]:
        return list(AccessEvent.objects.filter(seq__gt=self.after, **filters).order_by("seq"))

    def one(self, **filters) -> AccessEvent:
        """Exactly one row matches ``filters``; the failure names the rows written."""
        found = self.rows(**filters)
        if len(found) != 1:
            raise AssertionError(
                f"expected one trail row matching {filters}, found {len(found)}; "
                f"rows written: {self.describe()}"
            )
        return found[0]

    def none(self, **filters) -> None:
        found = self.rows(**filters)
        if found:
            raise AssertionError(f"expected no trail row matching {filters}, found {found}")

    def describe(self) -> list[str]:
        return [
            f"{e.action}/{e.outcome} {e.object_type}:{e.object_id} user={e.username}"
            for e in self.rows()
        ]
