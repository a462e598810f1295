"""Reports of the queue part, run by the platform's report engine (him/reports),
and the DNFB dashboard tile. Rows are read through the access policy under the
identity of the person who asked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from coding.services import queue as services
from him.models import ReportRun
from him.reports import DateRangeForm, Progress, Report, ReportTable
from records.models import Encounter

Format = ReportRun.Format


class DnfbForm(forms.Form):
    facility = forms.CharField(label="Facility code (optional)", required=False, max_length=20)
    encounter_class = forms.ChoiceField(
        label="Class", required=False, choices=[("", "Any"), *Encounter.Class.choices]
    )


class DnfbReport(Report):
    key = "coding-dnfb"
    title = "DNFB: discharged, not final billed"
    description = (
        "Every discharged encounter whose codes are not final, with days since discharge, "
        "class, facility, expected weight, coder and pending reason."
    )
    permission = "coding.view_coding_productivity"
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = DnfbForm
    columns = [
        "Facility",
        "Visit",
        "Class",
        "Discharged",
        "Days since discharge",
        "Coding status",
        "Working DRG",
        "Expected weight",
        "Coder",
        "Pending reason",
    ]

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        rows_qs = services.dnfb(user).order_by("discharge_at", "pk")
        if params.get("facility"):
            rows_qs = rows_qs.filter(facility__code__iexact=params["facility"].strip())
        if params.get("encounter_class"):
            rows_qs = rows_qs.filter(encounter_class=params["encounter_class"])
        progress(10)
        pending = dict(services.Pending.choices)
        rows = []
        for e in rows_qs.iterator(chunk_size=2000):
            rows.append(
                [
                    e.facility.code,
                    e.number,
                    e.get_encounter_class_display(),
                    e.discharge_at,
                    services.days_since(e.discharge_at),
                    services.Status(e.coding_status).label,
                    e.working_drg or "",
                    e.expected_weight,
                    e.coder_username or "",
                    pending.get(e.pending, "") if e.pending else "",
                ]
            )
        progress(90)
        return ReportTable(
            title=self.title,
            columns=self.columns,
            rows=rows,
            subtitle=f"{len(rows)} chart{'s' if len(rows) != 1 else ''} not final.",
        )


class ProductivityForm(DateRangeForm):
    coder = forms.CharField(label="Coder username (optional)", required=False, max_length=150)


class ProductivityReport(Report):
    key = "coding-productivity"
    title = "Coder productivity"
    description = "Charts finalized per day by each coder, by encounter class, over a date range."
    permission = "coding.view_coding_productivity"
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = ProductivityForm

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        classes, rows = services.productivity(
            user, params["date_from"], params["date_to"], coder=(params.get("coder") or "").strip()
        )
        progress(80)
        labels = dict(Encounter.Class.choices)
        columns = ["Day", "Coder", *[labels[c] for c in classes], "Total"]
        table = [[r.day, r.coder, *[r.counts.get(c, 0) for c in classes], r.total] for r in rows]
        total = sum(r.total for r in rows)
        return ReportTable(
            title=self.title,
            columns=columns,
            rows=table,
            subtitle=(
                f"{total} chart{'s' if total != 1 else ''} finalized, "
                f"{params['date_from'].isoformat()} to {params['date_to'].isoformat()}."
            ),
        )


def dnfb_tile(user) -> dict:
    queue = services.dnfb(user)
    count = queue.count()
    old = queue.filter(discharge_at__lt=services.age_bounds("8-14")[1]).count()
    return {
        "value": count,
        "detail": f"{old} discharged more than 7 days ago",
        "status": "alert" if old else ("warning" if count else "ok"),
        "url": reverse("coding:queue"),
    }
