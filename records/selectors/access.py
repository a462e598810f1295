"""Reads for break-the-glass review and the grants screen."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from him import policy
from him.models import AccessEvent, User
from records import access
from records.models import (
    CATEGORY_PERMISSIONS,
    BreakGlassAccess,
    Document,
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    Patient,
    PatientGroupObjectPermission,
    PatientUserObjectPermission,
    Sensitivity,
)


def events_under(row: BreakGlassAccess) -> QuerySet[AccessEvent]:
    """Trail rows written under one emergency access.

    Narrowed first by the indexed user and patient columns and the access's time
    window, then by the marker in the detail text: the scan is one user's events
    on one patient over a few hours.
    """
    return AccessEvent.objects.filter(
        user_id=row.user_id,
        patient_id=row.patient_id,
        at__gte=row.started_at,
        at__lte=row.expires_at,
        detail__contains=access.marker_text(row.public_id),
    ).order_by("seq")


def patient_in_reach(user: User, enterprise_id: str) -> Patient | None:
    """A patient of the officer's facilities, restricted or not (grants need to name them)."""
    return (
        Patient.objects.filter(
            facility__in=policy.facility_ids(user), enterprise_id__iexact=enterprise_id.strip()
        )
        .select_related("facility")
        .first()
    )


def document_in_reach(user: User, public_id: str) -> Document | None:
    try:
        return (
            Document.objects.filter(facility__in=policy.facility_ids(user), public_id=public_id)
            .select_related("patient")
            .first()
        )
    except Exception:  # noqa: BLE001 - a malformed UUID names no document
        return None


def patient_grants(user: User) -> tuple[QuerySet, QuerySet]:
    """Per-patient grants (to users, to roles) on patients of the officer's facilities."""
    reach = Q(content_object__facility__in=policy.facility_ids(user)) & Q(
        permission__codename=access.RESTRICTED_PERMISSION
    )
    users = PatientUserObjectPermission.objects.filter(reach).select_related(
        "user", "content_object"
    )
    groups = PatientGroupObjectPermission.objects.filter(reach).select_related(
        "group", "content_object"
    )
    order = ("content_object__family_name", "content_object__given_name", "pk")
    return users.order_by(*order), groups.order_by(*order)


def document_grants(user: User) -> tuple[QuerySet, QuerySet]:
    reach = Q(content_object__facility__in=policy.facility_ids(user)) & Q(
        permission__codename=access.DOCUMENT_PERMISSION
    )
    users = DocumentUserObjectPermission.objects.filter(reach).select_related(
        "user", "content_object", "content_object__patient"
    )
    groups = DocumentGroupObjectPermission.objects.filter(reach).select_related(
        "group", "content_object", "content_object__patient"
    )
    return users.order_by("content_object__patient_id", "pk"), groups.order_by(
        "content_object__patient_id", "pk"
    )


def category_holders() -> list[dict]:
    """For each sensitive category: the roles and the users holding its permission."""
    rows = []
    for bit, codename in CATEGORY_PERMISSIONS.items():
        perm = Permission.objects.filter(
            content_type__app_label="records", codename=codename
        ).first()
        rows.append(
            {
                "category": Sensitivity(bit).label,
                "permission": f"records.{codename}",
                "roles": list(Group.objects.filter(permissions=perm).values_list("name", flat=True))
                if perm
                else [],
                "users": list(
                    User.objects.filter(user_permissions=perm, is_active=True).values_list(
                        "username", flat=True
                    )
                )
                if perm
                else [],
                "superusers": list(
                    User.objects.filter(is_superuser=True, is_active=True).values_list(
                        "username", flat=True
                    )
                ),
            }
        )
    return rows
