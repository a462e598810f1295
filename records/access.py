"""Restricted patients and sensitive documents: the policy rules, the trail marker.

- A restricted patient (``Patient.confidentiality == "restricted"``) and every
  row reaching it through ``patient_path`` is visible only with the per-patient
  grant ``records.view_restricted_patient`` (django-guardian, to the user or one
  of their roles), or an active break-the-glass access (records.models.access).
- A document with sensitivity bits is visible only if the user holds the
  category permission (CATEGORY_PERMISSIONS) for every bit set, or
  ``records.view_sensitive_document`` on that document. Break-the-glass does
  NOT unlock sensitive categories: 42 CFR Part 2 and psychotherapy notes carry
  their own consent rules, which an emergency reason does not satisfy; the
  dialog says so.
- Holding ``view_restricted_patient`` as a model permission (no role does;
  superusers do) lifts the restricted-patient rule, as a model permission lifts
  any guardian check.

Each rule is one ``WHERE`` clause of EXISTS subqueries, so a list costs the same
number of queries however many restricted patients or grants there are.

Other parts of the records app opt their PHI models in from ``ready()``:
``register_patient_models(MyModel)`` (the model needs ``patient_path``), and
``register_document_models(MyModel)`` for rows that reach a document through
``document_path``.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from him import policy

RESTRICTED_PERMISSION = "view_restricted_patient"
DOCUMENT_PERMISSION = "view_sensitive_document"
# Any bit outside the categories a user holds hides the document, including bits
# added later that no permission maps yet.
_ALL_BITS = 0x7FFFFFFF


def _prefix(path: str | None) -> str:
    return f"{path}__" if path else ""


def _ref(path: str | None) -> str:
    return path if path else "pk"


def _user_groups(user) -> models.QuerySet:
    return get_user_model().groups.through.objects.filter(user_id=user.pk).values("group_id")


def patient_granted(user, patient_ref) -> Q:
    """Condition: ``user`` holds the per-patient grant on the patient at ``patient_ref``."""
    from records.models import PatientGroupObjectPermission, PatientUserObjectPermission

    direct = PatientUserObjectPermission.objects.filter(
        content_object_id=patient_ref,
        user_id=user.pk,
        permission__codename=RESTRICTED_PERMISSION,
        permission__content_type__app_label="records",
    )
    via_role = PatientGroupObjectPermission.objects.filter(
        content_object_id=patient_ref,
        group_id__in=_user_groups(user),
        permission__codename=RESTRICTED_PERMISSION,
        permission__content_type__app_label="records",
    )
    return Q(Exists(direct)) | Q(Exists(via_role))


def openable_restricted_patient_ids(user) -> list[int]:
    """Patients this user may open although restricted: per-patient grants (own or
    through a role) and active break-the-glass accesses. Usually none, never many."""
    from records.models import (
        BreakGlassAccess,
        PatientGroupObjectPermission,
        PatientUserObjectPermission,
    )

    now = timezone.now()
    direct = PatientUserObjectPermission.objects.filter(
        user_id=user.pk,
        permission__codename=RESTRICTED_PERMISSION,
        permission__content_type__app_label="records",
    ).values_list("content_object_id", flat=True)
    via_role = PatientGroupObjectPermission.objects.filter(
        group_id__in=_user_groups(user),
        permission__codename=RESTRICTED_PERMISSION,
        permission__content_type__app_label="records",
    ).values_list("content_object_id", flat=True)
    glass = BreakGlassAccess.objects.filter(
        user_id=user.pk, started_at__lte=now, expires_at__gt=now
    ).values_list("patient_id", flat=True)
    return sorted(set(direct.order_by().union(via_role.order_by(), glass.order_by())))


def restricted_patient_rule(model: type[models.Model]):
    """A policy rule hiding ``model`` rows of restricted patients the user may not open."""
    path = model.patient_path
    if path is None:
        raise ValueError(f"{model.__name__} has no patient_path")
    prefix = _prefix(path)

    def rule(queryset, user, action):
        if user.has_perm(f"records.{RESTRICTED_PERMISSION}"):
            return queryset
        from records.models import Patient

        # The few restricted patients this user may open, fetched first: OR-ing
        # correlated EXISTS subqueries into every list query kept PostgreSQL from
        # using the name indexes (search at 1M patients fell to 0.2x of a
        # superuser's, bench/records.py).
        normal = ~Q(**{f"{prefix}confidentiality": Patient.Confidentiality.RESTRICTED})
        opened = openable_restricted_patient_ids(user)
        if not opened:
            return queryset.filter(normal)
        return queryset.filter(normal | Q(**{f"{_ref(path)}__in": opened}))

    rule.__name__ = f"restricted_patient_rule_{model.__name__}"
    return rule


def allowed_categories(user) -> int:
    """The sensitivity bits ``user`` may see everywhere they reach (permissions cached)."""
    from records.models import CATEGORY_PERMISSIONS

    mask = 0
    for bit, codename in CATEGORY_PERMISSIONS.items():
        if user.has_perm(f"records.{codename}"):
            mask |= int(bit)
    return mask


def sensitive_document_rule(model: type[models.Model]):
    """A policy rule hiding documents with a category the user holds no grant for."""
    path = getattr(model, "document_path", "")
    prefix = _prefix(path)

    def rule(queryset, user, action):
        from records.models import DocumentGroupObjectPermission, DocumentUserObjectPermission

        blocked = _ALL_BITS & ~allowed_categories(user)
        ref = OuterRef(_ref(path))
        direct = DocumentUserObjectPermission.objects.filter(
            content_object_id=ref,
            user_id=user.pk,
            permission__codename=DOCUMENT_PERMISSION,
            permission__content_type__app_label="records",
        )
        via_role = DocumentGroupObjectPermission.objects.filter(
            content_object_id=ref,
            group_id__in=_user_groups(user),
            permission__codename=DOCUMENT_PERMISSION,
            permission__content_type__app_label="records",
        )
        return queryset.alias(_him_blocked_bits=F(f"{prefix}sensitivity").bitand(blocked)).filter(
            Q(_him_blocked_bits=0) | Q(Exists(direct)) | Q(Exists(via_role))
        )

    rule.__name__ = f"sensitive_document_rule_{model.__name__}"
    return rule


_patient_rules: dict[type, object] = {}
_document_rules: dict[type, object] = {}


def register_patient_models(*models_: type[models.Model]) -> None:
    """Opt PHI models into the restricted-patient rule (they need ``patient_path``)."""
    for model in models_:
        if model not in _patient_rules:
            _patient_rules[model] = restricted_patient_rule(model)
        policy.register_rule(model, _patient_rules[model])


def register_document_models(*models_: type[models.Model]) -> None:
    """Opt models into the sensitive-document rule (``document_path``, "" for Document)."""
    for model in models_:
        if model not in _document_rules:
            _document_rules[model] = sensitive_document_rule(model)
        policy.register_rule(model, _document_rules[model])


# The trail marker ------------------------------------------------------------------------


def break_glass_marker(obj, user_id) -> dict | None:
    """Trail annotator: mark events on a restricted patient's records that the user
    reaches only through an active break-the-glass access."""
    if user_id is None or type(obj) not in _patient_rules:
        return None
    from records.models import BreakGlassAccess, Patient

    patient = policy._follow(obj, type(obj).patient_path)
    if not isinstance(patient, Patient) or not patient.is_restricted:
        return None
    now = timezone.now()
    access = (
        BreakGlassAccess.objects.filter(
            user_id=user_id, patient_id=patient.pk, started_at__lte=now, expires_at__gt=now
        )
        .order_by("-started_at")
        .values_list("public_id", flat=True)
        .first()
    )
    if access is None:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or user.has_perm(f"records.{RESTRICTED_PERMISSION}"):
        return None
    granted = Patient.objects.filter(pk=patient.pk).filter(patient_granted(user, OuterRef("pk")))
    if granted.exists():
        return None
    return {"break_glass": str(access)}


def marker_text(public_id) -> str:
    """How the marker appears in a trail row's canonical JSON detail."""
    return f'"break_glass":"{public_id}"'


# Grants made by our own services write their own trail rows; the receivers in
# records/signals.py only trail changes made elsewhere (admin, shell).
_service_writes: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "records_grant_service", default=False
)


@contextlib.contextmanager
def service_writing():
    token = _service_writes.set(True)
    try:
        yield
    finally:
        _service_writes.reset(token)


def in_service() -> bool:
    return _service_writes.get()
