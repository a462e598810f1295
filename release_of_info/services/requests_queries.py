"""Reads of the requests part: the work list's deadline, the dashboard figures.

Every function starts from ``ROIRequest.objects.visible_to(user)``: the figures a
person sees never count requests they could not open.
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from release_of_info.models import Requester, ROIRequest

DUE_SOON_DAYS = 7  # the clock turns red a week before the due date


def with_deadline(queryset: QuerySet) -> QuerySet:
    """Annotate ``deadline``: the extended due date when there is one, else the first."""
    return queryset.annotate(deadline=Coalesce("extended_due_on", "due_on"))


def open_requests(queryset: QuerySet) -> QuerySet:
    return queryset.exclude(status__in=ROIRequest.CLOSED)


def due_soon(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return with_deadline(open_requests(queryset)).filter(
        deadline__gte=today, deadline__lte=today + dt.timedelta(days=DUE_SOON_DAYS)
    )


def overdue(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return with_deadline(open_requests(queryset)).filter(deadline__lt=today)


def is_red(roi: ROIRequest, today: dt.date | None = None) -> bool:
    """Open and due within seven days, or past due: shown in red."""
    today = today or timezone.localdate()
    return roi.is_open and (roi.effective_due_on - today).days <= DUE_SOON_DAYS


def turnaround_days(queryset: QuerySet) -> list[int]:
    """Calendar days from receipt to release, for released requests."""
    zone = timezone.get_current_timezone()
    rows = queryset.filter(status=ROIRequest.Status.RELEASED, released_at__isnull=False)
    return [
        (released.astimezone(zone).date() - received).days
        for received, released in rows.values_list("received_on", "released_at").iterator()
    ]


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def dashboard(user, *, facility_id: int | None = None, today: dt.date | None = None) -> dict:
    """The ROI dashboard's figures for what ``user`` may see."""
    today = today or timezone.localdate()
    visible = ROIRequest.objects.visible_to(user)
    if facility_id:
        visible = visible.filter(facility_id=facility_id)
    open_qs = open_requests(visible)
    days = turnaround_days(visible)
    by_type = {
        row["requester__type"]: row
        for row in visible.order_by()
        .values("requester__type")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=~Q(status__in=ROIRequest.CLOSED)),
            overdue=Count(
                "pk",
                filter=~Q(status__in=ROIRequest.CLOSED)
                & Q(due_on__lt=today)
                & (Q(extended_due_on__isnull=True) | Q(extended_due_on__lt=today)),
            ),
            released=Count("pk", filter=Q(status=ROIRequest.Status.RELEASED)),
            denied=Count("pk", filter=Q(status=ROIRequest.Status.DENIED)),
        )
    }
    type_days: dict[str, list[int]] = {}
    zone = timezone.get_current_timezone()
    for kind, received, released in (
        visible.filter(status=ROIRequest.Status.RELEASED, released_at__isnull=False)
        .values_list("requester__type", "received_on", "released_at")
        .iterator()
    ):
        type_days.setdefault(kind, []).append((released.astimezone(zone).date() - received).days)
    rows = []
    for kind, label in Requester.Type.choices:
        row = by_type.get(kind)
        if not row:
            continue
        rows.append(
            {
                "type": kind,
                "label": label,
                "total": row["total"],
                "open": row["open"],
                "overdue": row["overdue"],
                "released": row["released"],
                "denied": row["denied"],
                "median_turnaround": median(type_days.get(kind, [])),
            }
        )
    return {
        "open": open_qs.count(),
        "due_soon": due_soon(visible, today).count(),
        "overdue": overdue(visible, today).count(),
        "released": len(days),
        "median_turnaround": median(days),
        "by_type": rows,
        "today": today,
    }


def unassigned_open(queryset: QuerySet) -> QuerySet:
    return open_requests(queryset).filter(assigned_to__isnull=True)


__all__ = [
    "DUE_SOON_DAYS",
    "dashboard",
    "due_soon",
    "is_red",
    "median",
    "open_requests",
    "overdue",
    "turnaround_days",
    "unassigned_open",
    "with_deadline",
]
