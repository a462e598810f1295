"""The access policy: the one place that decides who may reach what.

- ``restrict(queryset, user, action)`` (behind ``Model.objects.visible_to``)
  narrows any PHI queryset to what ``user`` may ``action``;
- ``can(user, action, obj)`` answers one question about one object.

The rules, in order:
1. signed in and active, else nothing;
2. a privileged role (settings.OTP_REQUIRED_ROLES) must have verified a second
   factor in this session, else nothing;
3. the model permission for the action (a role grants it), else nothing;
4. the facility: the row's facility must be one the user was granted through
   django-guardian (``him.access_facility``);
5. rules registered by apps for their models (restricted patients, sensitive
   documents...), each narrowing further.
Views and viewsets answer 403 for rule 3 and 404 for the rest, so a record out
of reach never reveals that it exists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import models

from him import context

ACTIONS = ("view", "add", "change", "delete")

ScopeRule = Callable[[models.QuerySet, object, str], models.QuerySet]
_rules: dict[type[models.Model], list[ScopeRule]] = defaultdict(list)


def register_rule(model: type[models.Model], rule: ScopeRule) -> None:
    """Let an app narrow a model's visibility further (from AppConfig.ready)."""
    if rule not in _rules[model]:
        _rules[model].append(rule)


def permission_name(model: type[models.Model], action: str) -> str:
    meta = model._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def has_model_permission(user, model: type[models.Model], action: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(permission_name(model, action))


def needs_second_factor(user) -> bool:
    """True when ``user`` holds a privileged role but has not verified a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = set(getattr(user, "role_names", []))
    if not roles.intersection(settings.OTP_REQUIRED_ROLES):
        return False
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified):
        return not is_verified()
    # Outside a request (a task, a command): trust what the request context says.
    ctx = context.current()
    return not (ctx.user_id == user.pk and ctx.otp_verified)


def facility_ids(user) -> frozenset[int]:
    """Facilities granted to ``user`` directly or through a group (cached on the user)."""
    cached = getattr(user, "_him_facility_ids", None)
    if cached is not None:
        return cached
    from him.models import FacilityGroupObjectPermission, FacilityUserObjectPermission

    direct = FacilityUserObjectPermission.objects.filter(
        user_id=user.pk, permission__codename="access_facility"
    ).values_list("content_object_id", flat=True)
    via_group = FacilityGroupObjectPermission.objects.filter(
        group__user=user.pk, permission__codename="access_facility"
    ).values_list("content_object_id", flat=True)
    ids = frozenset(direct) | frozenset(via_group)
    user._him_facility_ids = ids
    return ids


def forget(user) -> None:
    """Drop what was cached on a user object after its grants changed."""
    for attr in (
        "_him_facility_ids",
        "_him_role_names",
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
    ):
        if hasattr(user, attr):
            delattr(user, attr)


def restrict(queryset: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    model = queryset.model
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if needs_second_factor(user):
        return queryset.none()
    if not has_model_permission(user, model, action):
        return queryset.none()
    scope = getattr(model, "scope_for", None)
    if scope is not None:
        queryset = scope(queryset, user, action)
    else:
        path = getattr(model, "facility_path", None)
        if path:
            queryset = queryset.filter(**{f"{path}__in": facility_ids(user)})
    for rule in _rules.get(model, ()):
        queryset = rule(queryset, user, action)
    return queryset


def can(user, action: str, obj: models.Model) -> bool:
    """May ``user`` do ``action`` on ``obj``? One query, same rules as ``restrict``."""
    if obj is None or obj.pk is None:
        return False
    model = type(obj)
    base = model._default_manager.all()
    return restrict(base, user, action).filter(pk=obj.pk).exists()


def _follow(obj, path: str | None):
    if path is None:
        return None
    if path == "":
        return obj
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def patient_id_of(obj) -> int | None:
    patient = _follow(obj, getattr(type(obj), "patient_path", None))
    return getattr(patient, "pk", None)


def facility_id_of(obj) -> int | None:
    path = getattr(type(obj), "facility_path", None)
    if not path:
        return None
    # Read the foreign key column when the path is one hop: no query.
    if "__" not in path:
        return getattr(obj, f"{path}_id", None)
    facility = _follow(obj, path)
    return getattr(facility, "pk", None)
