"""factory_boy factories for the platform's own models.

Each app keeps the factories of its own models next to its tests: the platform
never names a higher layer's models.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token

from him import policy
from him.models import Facility, User

PASSWORD = "Corr3ct-horse-battery"


@cache
def password_hash() -> str:
    """``PASSWORD`` hashed with the configured hasher (users can sign in with it)."""
    return make_password(PASSWORD)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"FAC{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code} Hospital")
    active = True


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``roles=[...]`` adds groups, ``facilities=[...]`` grants facilities."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    # One Argon2 hash per test run, shared by every user: hashing per user cost
    # seconds per test, and no test needs distinct salts.
    password = factory.LazyFunction(lambda: password_hash())

    @factory.post_generation
    def roles(self, create: bool, extracted: Iterable[str] | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=list(extracted)))
            policy.forget(self)

    @factory.post_generation
    def facilities(self, create: bool, extracted: Iterable[Facility] | None, **kwargs) -> None:
        if create and extracted:
            for facility in extracted:
                grant_facility(self, facility)


def grant_facility(user_or_group: User | Group, facility: Facility) -> None:
    """Give a user (or every member of a group) access to a facility's records."""
    assign_perm("him.access_facility", user_or_group, facility)
    if isinstance(user_or_group, User):
        policy.forget(user_or_group)


def confirmed_device(user: User) -> TOTPDevice:
    """A confirmed authenticator for ``user`` (the second factor privileged roles need)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def api_token(user: User) -> Token:
    return Token.objects.get_or_create(user=user)[0]
