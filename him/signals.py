"""Trail entries for sign-in events and privilege changes.

Receivers, not services, because these events start outside our code (Django's
auth views, django-axes, the admin, the shell), and every path must be caught.
"""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from him import context, policy, trail
from him.middleware import SessionTimeoutMiddleware
from him.models import FacilityGroupObjectPermission, FacilityUserObjectPermission, User

Action = trail.Action
Outcome = trail.Outcome


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SessionTimeoutMiddleware.AUTH_AT] = now
        request.session[SessionTimeoutMiddleware.SEEN_AT] = now
    if context.current().request_id:
        # Inside a request: later events of this request name the new user.
        context.bind_user(user, otp_verified=False)
    trail.record(Action.LOGIN, user=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "_him_logout_reason", "") if request is not None else ""
    trail.record(Action.LOGOUT, user=user, reason=reason or "signed out")


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    trail.record(
        Action.LOGIN_FAILED,
        username=username,
        outcome=Outcome.FAILURE,
        reason="wrong credentials or locked out",
    )


@receiver(user_locked_out)
def _on_lockout(sender, request, username, ip_address, **kwargs):
    trail.record(
        Action.LOCKOUT,
        username=username or "",
        outcome=Outcome.DENIED,
        reason=f"locked after repeated failed sign-ins from {ip_address}",
    )


def _privilege(target: str, object_id, change: str, detail: dict) -> None:
    trail.record(
        Action.PRIVILEGE,
        object_type=target,
        object_id=str(object_id),
        reason=change,
        detail=detail,
    )


@receiver(m2m_changed, sender=User.groups.through)
def _on_roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # group.user_set changed: instance is the group, pk_set users
        pairs = [(pk, instance.name) for pk in (pk_set or [])]
    else:
        if action == "pre_clear":
            names = list(instance.groups.values_list("name", flat=True))
        else:
            names = list(model.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
        pairs = [(instance.pk, name) for name in names]
    verb = "role granted" if action == "post_add" else "role removed"
    for user_id, role in pairs:
        _privilege("him.user", user_id, verb, {"role": role})
    if not reverse:
        policy.forget(instance)


@receiver(m2m_changed, sender=User.user_permissions.through)
def _on_user_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear") or reverse:
        return
    verb = "permission granted" if action == "post_add" else "permission removed"
    codes = (
        list(instance.user_permissions.values_list("codename", flat=True))
        if action == "pre_clear"
        else list(model.objects.filter(pk__in=pk_set or []).values_list("codename", flat=True))
    )
    for code in codes:
        _privilege("him.user", instance.pk, verb, {"permission": code})
    policy.forget(instance)


def _grant_detail(grant) -> dict:
    return {
        "facility": grant.content_object_id,
        "permission": grant.permission.codename,
    }


@receiver(post_save, sender=FacilityUserObjectPermission)
def _on_user_grant(sender, instance, created, **kwargs):
    _privilege(
        "him.user",
        instance.user_id,
        "facility granted" if created else "facility grant changed",
        _grant_detail(instance),
    )


@receiver(post_delete, sender=FacilityUserObjectPermission)
def _on_user_grant_removed(sender, instance, **kwargs):
    _privilege("him.user", instance.user_id, "facility removed", _grant_detail(instance))


@receiver(post_save, sender=FacilityGroupObjectPermission)
def _on_group_grant(sender, instance, created, **kwargs):
    _privilege(
        "auth.group",
        instance.group_id,
        "facility granted to role" if created else "facility grant changed",
        _grant_detail(instance),
    )


@receiver(post_delete, sender=FacilityGroupObjectPermission)
def _on_group_grant_removed(sender, instance, **kwargs):
    _privilege(
        "auth.group", instance.group_id, "facility removed from role", _grant_detail(instance)
    )


_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(pre_save, sender=User)
def _remember_flags(sender, instance, **kwargs):
    if instance.pk:
        old = User.objects.filter(pk=instance.pk).values(*_FLAGS).first()
        instance._him_old_flags = old


@receiver(post_save, sender=User)
def _on_user_saved(sender, instance, created, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return
    if created:
        _privilege("him.user", instance.pk, "user created", {"username": instance.username})
        return
    old = getattr(instance, "_him_old_flags", None) or {}
    for flag in _FLAGS:
        if flag in old and old[flag] != getattr(instance, flag):
            _privilege(
                "him.user",
                instance.pk,
                f"{flag} set to {getattr(instance, flag)}",
                {"flag": flag, "from": old[flag], "to": getattr(instance, flag)},
            )


@receiver(m2m_changed, sender=Group.permissions.through)
def _on_role_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear") or reverse:
        return
    verb = "permission granted to role" if action == "post_add" else "permission removed from role"
    codes = (
        list(instance.permissions.values_list("codename", flat=True))
        if action == "pre_clear"
        else list(model.objects.filter(pk__in=pk_set or []).values_list("codename", flat=True))
    )
    for code in codes:
        _privilege("auth.group", instance.pk, verb, {"role": instance.name, "permission": code})
