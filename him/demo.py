"""A small synthetic demo data set: facilities, one user per role; apps add theirs.

Apps register their part with ``register_seed(fn)`` from AppConfig.ready(); ``seed``
calls each with the facilities, after the platform's part (the platform never
imports an app). Synthetic only: names come from short fixed lists, never from
real people.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from him import roles
from him.models import Facility, User

FACILITIES = [("MAIN", "Riverside General Hospital"), ("NORTH", "Northgate Community Clinic")]

DEMO_USERS = [
    ("tech", "Tara", "Nguyen", roles.HIM_TECHNICIAN),
    ("coder", "Carlos", "Ortiz", roles.CODER),
    ("roi", "Rita", "Osei", roles.ROI_SPECIALIST),
    ("auditor", "Abel", "Stone", roles.AUDITOR),
    ("manager", "Mina", "Kowalski", roles.HIM_MANAGER),
    ("privacy", "Priya", "Shah", roles.PRIVACY_OFFICER),
    ("physician", "Felix", "Hart", roles.PHYSICIAN),
    ("sysadmin", "Sam", "Adeyemi", roles.SYSTEM_ADMINISTRATOR),
    ("integration", "Interface", "Engine", roles.INTEGRATION),
]

SeedHook = Callable[..., None]
_seeds: list[SeedHook] = []


def register_seed(fn: SeedHook) -> None:
    """``fn(*, facilities, patients_per_facility, rng_seed)`` adds an app's demo data."""
    if fn not in _seeds:
        _seeds.append(fn)


def new_password() -> str:
    return "-".join(secrets.token_urlsafe(4) for _ in range(3))


@transaction.atomic
def seed(*, patients_per_facility: int = 40, rng_seed: int = 7) -> list[tuple[str, str, str]]:
    """Create what is missing; return (username, role, password) for users made now."""
    facilities = []
    for code, name in FACILITIES:
        facility, _ = Facility.objects.get_or_create(code=code, defaults={"name": name})
        facilities.append(facility)
    created = []
    for username, first, last, role in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        password = new_password()
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            is_staff=(role == roles.SYSTEM_ADMINISTRATOR),
        )
        user.groups.add(Group.objects.get(name=role))
        if role != roles.SYSTEM_ADMINISTRATOR:
            # The administrator manages accounts and sees no patient records.
            for facility in facilities if role != roles.PHYSICIAN else facilities[:1]:
                assign_perm("him.access_facility", user, facility)
        created.append((username, role, password))
    for fn in _seeds:
        fn(facilities=facilities, patients_per_facility=patients_per_facility, rng_seed=rng_seed)
    return created
