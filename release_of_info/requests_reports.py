"""Reports of the requests part, run by the platform's report engine (him.reports):
ROI turnaround, and requests by requester type and outcome. Rows come through
``ROIRequest.objects.visible_to(user)``, under the identity of whoever asked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from him.models import Facility, ReportRun
from him.reports import DateRangeForm, Progress, Report, ReportTable
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests_queries as queries

Format = ReportRun.Format
PERMISSION = "release_of_info.view_roirequest"


class _RangeAndFacilityForm(DateRangeForm):
    facility = forms.CharField(
        label="Facility code (optional)",
        required=False,
        max_length=20,
        help_text="Only this facility's requests; leave empty for all you can reach.",
    )

    def clean_facility(self) -> str:
        code = self.cleaned_data["facility"].strip().upper()
        if code and not Facility.objects.filter(code=code).exists():
            raise forms.ValidationError(f"No facility has the code {code}.")
        return code


def _base(user, params: dict[str, Any]):
    rows = ROIRequest.objects.visible_to(user, "view")
    if params.get("facility"):
        rows = rows.filter(facility__code=params["facility"])
    return rows


def _released_on(roi_released_at):
    return timezone.localtime(roi_released_at).date()


class ROITurnaroundReport(Report):
    key = "roi-turnaround"
    title = "ROI turnaround"
    description = (
        "Requests released in a date range: days from receipt to release, the due date, "
        "whether the release was on time, and the median."
    )
    permission = PERMISSION
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = _RangeAndFacilityForm
    columns = [
        "Request",
        "Facility",
        "Requester type",
        "Purpose",
        "Received",
        "Due",
        "Extended",
        "Released",
        "Turnaround (days)",
        "On time",
    ]

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        from him.reports import day_bounds

        start, end = day_bounds(params["date_from"], params["date_to"])
        released = (
            _base(user, params)
            .filter(
                status=ROIRequest.Status.RELEASED,
                released_at__gte=start,
                released_at__lt=end,
            )
            .select_related("facility", "requester")
            .order_by("released_at", "number")
        )
        progress(10)
        rows: list[list[Any]] = []
        days: list[int] = []
        on_time = 0
        for roi in released.iterator(chunk_size=2000):
            released_on = _released_on(roi.released_at)
            turnaround = (released_on - roi.received_on).days
            timely = released_on <= roi.effective_due_on
            days.append(turnaround)
            on_time += timely
            rows.append(
                [
                    roi.number,
                    roi.facility.code,
                    roi.requester.get_type_display(),
                    roi.get_purpose_display(),
                    roi.received_on,
                    roi.effective_due_on,
                    "yes" if roi.extended_due_on else "no",
                    released_on,
                    turnaround,
                    "yes" if timely else "no",
                ]
            )
        progress(80)
        middle = queries.median(days)
        subtitle = (
            f"{len(rows)} released; median turnaround "
            f"{'—' if middle is None else f'{middle:g} days'}; "
            f"{on_time} on time ({params['date_from'].isoformat()} to "
            f"{params['date_to'].isoformat()})."
        )
        return ReportTable(title=self.title, columns=self.columns, rows=rows, subtitle=subtitle)


class ROIRequestsByTypeReport(Report):
    key = "roi-requests-by-type"
    title = "ROI requests by type and outcome"
    description = (
        "Requests received in a date range, per requester type: how many, and how each "
        "ended (released, denied, cancelled) or stands (open, overdue)."
    )
    permission = PERMISSION
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = _RangeAndFacilityForm
    columns = [
        "Requester type",
        "Received",
        "Released",
        "Denied",
        "Cancelled",
        "Open",
        "Open and overdue",
        "Median turnaround (days)",
    ]

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        received = _base(user, params).filter(
            received_on__gte=params["date_from"], received_on__lte=params["date_to"]
        )
        today = timezone.localdate()
        counts: dict[str, dict[str, Any]] = {}
        S = ROIRequest.Status
        for kind, status, due, extended, received_on, released_at in received.values_list(
            "requester__type",
            "status",
            "due_on",
            "extended_due_on",
            "received_on",
            "released_at",
        ).iterator(chunk_size=2000):
            row = counts.setdefault(kind, {"all": 0, "statuses": {}, "overdue": 0, "days": []})
            row["all"] += 1
            row["statuses"][status] = row["statuses"].get(status, 0) + 1
            if status not in ROIRequest.CLOSED and (extended or due) < today:
                row["overdue"] += 1
            if status == S.RELEASED and released_at:
                row["days"].append((_released_on(released_at) - received_on).days)
        progress(60)
        rows: list[list[Any]] = []
        for kind, label in Requester.Type.choices:
            row = counts.get(kind)
            if not row:
                continue
            st = row["statuses"]
            closed = sum(st.get(s, 0) for s in ROIRequest.CLOSED)
            middle = queries.median(row["days"])
            rows.append(
                [
                    label,
                    row["all"],
                    st.get(S.RELEASED, 0),
                    st.get(S.DENIED, 0),
                    st.get(S.CANCELLED, 0),
                    row["all"] - closed,
                    row["overdue"],
                    "" if middle is None else middle,
                ]
            )
        total = sum(r[1] for r in rows)
        subtitle = (
            f"{total} request{'s' if total != 1 else ''} received "
            f"{params['date_from'].isoformat()} to {params['date_to'].isoformat()}."
        )
        return ReportTable(title=self.title, columns=self.columns, rows=rows, subtitle=subtitle)


def register() -> None:
    from him import reports

    reports.register(ROITurnaroundReport())
    reports.register(ROIRequestsByTypeReport())


__all__ = ["ROIRequestsByTypeReport", "ROITurnaroundReport", "register"]
