"""The disclosures log report and the overdue-accountings dashboard tile."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from him.reports import DateRangeForm, Format, Report, ReportTable
from release_of_info.models import AccountingRequest, Disclosure


class DisclosuresLogForm(DateRangeForm):
    basis = forms.ChoiceField(
        label="Basis (optional)",
        required=False,
        choices=[("", "Any"), *Disclosure.Basis.choices],
    )


class DisclosuresLogReport(Report):
    key = "roi-disclosures-log"
    title = "Disclosures log"
    description = (
        "Every accountable disclosure (45 CFR 164.528) in a date range: patient, date, "
        "recipient, what, purpose, basis, and the ROI request it came from."
    )
    permission = "release_of_info.view_disclosure"
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = DisclosuresLogForm
    columns = [
        "Date",
        "Patient",
        "MRN",
        "Recipient",
        "Recipient address",
        "What was disclosed",
        "Purpose",
        "Basis",
        "Request",
    ]

    def generate(self, *, run, user, params: dict[str, Any], progress) -> ReportTable:
        rows_qs = (
            Disclosure.objects.visible_to(user, "view")
            .filter(disclosed_on__gte=params["date_from"], disclosed_on__lte=params["date_to"])
            .select_related("patient", "request")
            .order_by("disclosed_on", "pk")
        )
        if params.get("basis"):
            rows_qs = rows_qs.filter(basis=params["basis"])
        progress(10)
        labels = dict(Disclosure.Basis.choices)
        rows = [
            [
                d.disclosed_on,
                f"{d.patient.family_name}, {d.patient.given_name}",
                d.patient.mrn,
                d.recipient_name,
                d.recipient_address.replace("\n", ", "),
                d.description,
                d.purpose,
                labels.get(d.basis, d.basis),
                d.request.number if d.request else "entered by hand",
            ]
            for d in rows_qs.iterator(chunk_size=2000)
        ]
        progress(90)
        return ReportTable(
            title=self.title,
            columns=self.columns,
            rows=rows,
            subtitle=(
                f"{len(rows)} disclosure{'s' if len(rows) != 1 else ''} from "
                f"{params['date_from'].isoformat()} to {params['date_to'].isoformat()}."
            ),
        )


def accounting_overdue_tile(user) -> dict:
    today = timezone.localdate()
    open_ = AccountingRequest.objects.visible_to(user).filter(
        status__in=[AccountingRequest.Status.OPEN, AccountingRequest.Status.EXTENDED]
    )
    overdue = open_.filter(
        Q(extended_due_on__lt=today) | Q(extended_due_on__isnull=True, due_on__lt=today)
    ).count()
    return {
        "value": overdue,
        "detail": f"{open_.count()} open requests for an accounting of disclosures",
        "status": "alert" if overdue else "ok",
        "url": reverse("release_of_info:disclosure-list"),
    }
