"""Plugs the amendment workflow into the platform (called from RecordsConfig.ready)."""

from __future__ import annotations


def ready() -> None:
    from him import dashboard, navigation, policy, roles
    from records.models import AmendmentRequest
    from records.roles import AMENDMENT_PERMISSIONS

    roles.register(AMENDMENT_PERMISSIONS)

    navigation.register(
        navigation.NavItem(
            "Amendments",
            "records:amendment-list",
            "records.add_amendmentrequest",
            "Requests to amend the record (HIPAA 164.526): open, due soon, overdue.",
            order=40,
        )
    )
    dashboard.register(
        dashboard.Tile(
            key="records-amendments-overdue",
            title="Amendment requests overdue",
            permission="records.view_amendmentrequest",
            compute=_overdue_tile,
            order=40,
        )
    )
    policy.register_rule(AmendmentRequest, _patient_in_reach)


def _patient_in_reach(queryset, user, action):
    # A request follows its patient: if the patient is out of reach (a restricted
    # record without a grant), so is every request about them.
    from records.models import Patient

    return queryset.filter(patient__in=Patient.objects.visible_to(user, "view"))


def _overdue_tile(user) -> dict:
    from django.urls import reverse

    from records.selectors.amendments import amendment_queue_counts

    counts = amendment_queue_counts(user)
    return {
        "value": counts["overdue"],
        "detail": f"{counts['open']} open, {counts['due_soon']} due within 14 days",
        "status": "alert" if counts["overdue"] else ("warning" if counts["due_soon"] else "ok"),
        "url": f"{reverse('records:amendment-list')}?queue=overdue",
    }
