"""The report engine: what a report is, the registry, and the output writers.

A report is a class with a key, a parameter form and a ``generate`` method that
returns a ``ReportTable``; apps register instances from ``AppConfig.ready()``.
Running one (queueing, claiming, writing the output, the trail) is the job of
``him.report_services``; the Celery entry points are in ``him.tasks``.

A report reads only through the access policy (``Model.objects.visible_to``),
under the identity of the person who asked for it, so an export never shows
more than that person could see on screen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django import forms
from django.db.models import Count, Max, Min
from django.utils import timezone

from him.models import AccessEvent, ReportRun

Format = ReportRun.Format
Progress = Callable[[int], None]


class ReportError(Exception):
    """A failure the person who asked can act on; the message is shown as is."""


@dataclass
class ReportTable:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    subtitle: str = ""


class Report:
    """Base class for a report. Subclasses set the attributes and ``generate``."""

    key: str = ""
    title: str = ""
    description: str = ""
    # Dotted model permission needed to run it (on top of him.add_reportrun); the
    # rows themselves must still come through ``visible_to(user)``.
    permission: str = ""
    formats: tuple[str, ...] = (Format.CSV, Format.XLSX)
    form_class: type[forms.Form] = forms.Form

    def available_to(self, user) -> bool:
        from him import policy

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if policy.needs_second_factor(user):
            return False
        if not policy.has_model_permission(user, ReportRun, "add"):
            return False
        return not self.permission or user.has_perm(self.permission)

    def format_choices(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in Format.choices if value in self.formats]

    def get_form(self, data: Mapping[str, Any] | None = None, **kwargs) -> forms.Form:
        return self.form_class(data, **kwargs)

    def clean_parameters(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate raw parameters; return them as JSON-ready values.

        Raises django's ValidationError with a field -> messages dict.
        """
        form = self.get_form(_as_form_data(data))
        if not form.is_valid():
            from django.core.exceptions import ValidationError

            raise ValidationError(_messages(form))
        return {name: _to_json(value) for name, value in form.cleaned_data.items()}

    def parse_parameters(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """Stored JSON parameters back to Python values, checked again.

        Raises ReportError when they no longer validate (e.g. edited by hand).
        """
        form = self.get_form(_as_form_data(stored))
        if not form.is_valid():
            problems = "; ".join(
                f"{_label(form, name)}: {' '.join(msgs)}" if name != "__all__" else " ".join(msgs)
                for name, msgs in _messages(form).items()
            )
            raise ReportError(f"The report parameters are not valid: {problems}")
        return dict(form.cleaned_data)

    def describe_parameters(self, stored: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(label, value) pairs for headers of outputs and for the run list."""
        form = self.get_form()
        described = []
        for name, value in stored.items():
            if value in (None, "", [], {}):
                continue
            described.append((_label(form, name), str(value)))
        return described

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        raise NotImplementedError


def _as_form_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Raw parameters (a QueryDict, or JSON from the API or the row) as form data.

    Forms expect text: a number or a nested object sent over the API becomes
    text too, so it fails validation with a message instead of crashing a field.
    """
    if hasattr(data, "lists"):
        return {key: values if len(values) > 1 else values[0] for key, values in data.lists()}
    form_data: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            form_data[key] = [v if isinstance(v, str) else str(v) for v in value]
        else:
            form_data[key] = value if isinstance(value, str) else str(value)
    return form_data


def _messages(form: forms.Form) -> dict[str, list[str]]:
    return {name: [str(m) for m in errors] for name, errors in form.errors.items()}


def _label(form: forms.Form, name: str) -> str:
    bound = form.fields.get(name)
    return str(bound.label) if bound is not None and bound.label else name.replace("_", " ")


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return value


# The registry ------------------------------------------------------------------------

_registry: dict[str, Report] = {}


def register(report: Report) -> Report:
    """Add a report (from AppConfig.ready). Registering the same key twice with
    a different class is a programming error."""
    if not report.key:
        raise ValueError("A report needs a key.")
    existing = _registry.get(report.key)
    if existing is not None and type(existing) is not type(report):
        raise ValueError(f"Report key {report.key!r} is already registered by {existing!r}.")
    _registry[report.key] = report
    return report


def get(key: str) -> Report:
    try:
        return _registry[key]
    except KeyError:
        raise ReportError(f"There is no report called {key!r}.") from None


def all_reports() -> list[Report]:
    return sorted(_registry.values(), key=lambda r: r.title)


def available_to(user) -> list[Report]:
    return [report for report in all_reports() if report.available_to(user)]


# Writers --------------------------------------------------------------------------

CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PDF: "application/pdf",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def safe_text(value: str) -> str:
    # Usernames in the trail include whatever was typed at a failed sign-in: a
    # spreadsheet must never read such a cell as a formula.
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass
class OutputHeader:
    """What every output states besides the rows: parameters, when, by whom."""

    parameters: list[tuple[str, str]] = field(default_factory=list)
    generated_at: datetime | None = None
    generated_by: str = ""


def write_csv(table: ReportTable, header: OutputHeader) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([safe_text(v) if isinstance(v, str) else _cell_text(v) for v in row])
    # A byte order mark so spreadsheet programs read accented names as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(table: ReportTable, header: OutputHeader) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31] or "Report"
    bold = Font(bold=True)
    sheet.append(table.columns)
    for cell in sheet[1]:
        cell.font = bold
    widths = [len(str(c)) for c in table.columns]
    for row in table.rows:
        values = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            elif isinstance(value, datetime) and timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            values.append(value)
        sheet.append(values)
        for index, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            widths[index] = max(widths[index], len(_cell_text(row[index])))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"

    about = workbook.create_sheet("About")
    about.append(["Report", table.title])
    if table.subtitle:
        about.append(["Summary", table.subtitle])
    for label, value in header.parameters:
        about.append([label, value])
    if header.generated_at:
        about.append(["Generated at", _cell_text(header.generated_at)])
    if header.generated_by:
        about.append(["Generated by", header.generated_by])
    for row in about.iter_rows():
        row[0].font = bold
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 60

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_pdf(table: ReportTable, header: OutputHeader) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas as pdf_canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    cell_style = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head_style = styles["BodyText"].clone("head", fontSize=8, leading=10, fontName="Helvetica-Bold")
    story: list = [Paragraph(escape(table.title), styles["Title"])]
    if table.subtitle:
        story.append(Paragraph(escape(table.subtitle), styles["Normal"]))
    lines = [f"<b>{escape(label)}:</b> {escape(value)}" for label, value in header.parameters]
    if header.generated_at:
        lines.append(f"<b>Generated at:</b> {escape(_cell_text(header.generated_at))}")
    if header.generated_by:
        lines.append(f"<b>Generated by:</b> {escape(header.generated_by)}")
    for line in lines:
        story.append(Paragraph(line, styles["Normal"]))
    story.append(Spacer(1, 0.2 * inch))

    data = [[Paragraph(escape(str(c)), head_style) for c in table.columns]]
    for row in table.rows:
        data.append([Paragraph(escape(_cell_text(v)), cell_style) for v in row])
    if len(data) == 1:
        story.append(Paragraph("No rows match these parameters.", styles["Normal"]))
    else:
        # Share the width by how long each column's text runs (wrapped cells
        # otherwise shrink to a word per line).
        sample = table.rows[:200]
        weights = [
            min(max([len(str(name))] + [len(_cell_text(r[i])) for r in sample]), 40) + 4
            for i, name in enumerate(table.columns)
        ]
        width = letter[0] - 1.5 * inch
        grid = Table(data, repeatRows=1, colWidths=[width * w / sum(weights) for w in weights])
        grid.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(grid)

    footer = f"{table.title} · PHI: handle under your organization's privacy policy"

    class NumberedCanvas(pdf_canvas.Canvas):
        """Draws "Page n of m" once the page count is known (a second pass)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.drawString(0.75 * inch, 0.5 * inch, footer)
                self.drawRightString(
                    letter[0] - 0.75 * inch, 0.5 * inch, f"Page {self._pageNumber} of {total}"
                )
                super().showPage()
            super().save()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        title=table.title,
        author=header.generated_by,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.85 * inch,
    )
    document.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[ReportTable, OutputHeader], bytes]] = {
    Format.CSV: write_csv,
    Format.XLSX: write_xlsx,
    Format.PDF: write_pdf,
}


def render(table: ReportTable, output_format: str, header: OutputHeader) -> bytes:
    try:
        writer = WRITERS[output_format]
    except KeyError:
        raise ReportError(f"The output format {output_format!r} is not supported.") from None
    return writer(table, header)


# Built-in reports ---------------------------------------------------------------------


class DateRangeForm(forms.Form):
    """Two inclusive dates, both required, in the site's time zone."""

    date_from = forms.DateField(
        label="From (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )

    MAX_DAYS = 3660

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(
                    "The date range is invalid: the start date (%(start)s) is after the end "
                    "date (%(end)s).",
                    code="date_order",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                )
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(
                    "The date range is too long: choose at most ten years.", code="date_span"
                )
        return data


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone: inclusive dates."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone),
    )


class AccessTrailSummaryForm(DateRangeForm):
    username = forms.CharField(
        label="Username (optional)",
        required=False,
        max_length=150,
        help_text="Only this user's events; leave empty for everyone.",
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


class AccessTrailSummaryReport(Report):
    key = "access-trail-summary"
    title = "Access trail summary"
    description = (
        "How many trail events each user produced, per action, over a date range: "
        "the privacy officer's first look at who touched what."
    )
    permission = "him.view_accessevent"
    formats = (Format.CSV, Format.XLSX, Format.PDF)
    form_class = AccessTrailSummaryForm

    columns = ["Username", "Action", "Events", "First event", "Last event"]

    def generate(self, *, run: ReportRun, user, params: dict[str, Any], progress: Progress):
        start, end = day_bounds(params["date_from"], params["date_to"])
        # Through the policy: facilities the requester may reach, OTP, permission.
        events = AccessEvent.objects.visible_to(user, "view").filter(at__gte=start, at__lt=end)
        if params.get("username"):
            events = events.filter(username=params["username"])
        progress(10)
        grouped = (
            events.order_by()
            .values("username", "action")
            .annotate(events=Count("seq"), first=Min("at"), last=Max("at"))
            .order_by("username", "action")
        )
        labels = dict(AccessEvent.Action.choices)
        rows: list[list[Any]] = []
        total = 0
        users = set()
        for group in _iterate(grouped):
            rows.append(
                [
                    group["username"] or "(none)",
                    labels.get(group["action"], group["action"]),
                    group["events"],
                    group["first"],
                    group["last"],
                ]
            )
            total += group["events"]
            users.add(group["username"])
        progress(80)
        days = (params["date_to"] - params["date_from"]).days + 1
        subtitle = (
            f"{total} event{'s' if total != 1 else ''} by {len(users)} "
            f"user{'s' if len(users) != 1 else ''} over {days} day{'s' if days != 1 else ''} "
            f"({params['date_from'].isoformat()} to {params['date_to'].isoformat()}, "
            f"{timezone.get_current_timezone_name()})."
        )
        return ReportTable(title=self.title, columns=self.columns, rows=rows, subtitle=subtitle)


def _iterate(queryset) -> Iterable[dict]:
    return queryset.iterator(chunk_size=2000)


def register_builtin() -> None:
    """The platform's own reports (called from HimConfig.ready)."""
    register(AccessTrailSummaryReport())
