"""Reminder and escalation letters to providers about their open deficiencies.

- reminder: open deficiencies due within ``REMINDER_DAYS`` or past due by less
  than ``ESCALATION_DAYS``;
- escalation: open deficiencies past due by ``ESCALATION_DAYS`` or more.
One letter per provider, facility, kind and day: a second run that day (beat
firing twice, a redelivered task) finds the letter and makes nothing new.
Letters name encounters by visit number and MRN only (minimum necessary).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from him import trail
from records.models import Deficiency, DeficiencyLetter

REMINDER_DAYS = 3
ESCALATION_DAYS = 14

LetterKind = DeficiencyLetter.LetterKind


def _kind_for(deficiency: Deficiency, now: dt.datetime) -> str | None:
    if deficiency.due_at <= now - dt.timedelta(days=ESCALATION_DAYS):
        return LetterKind.ESCALATION
    if deficiency.due_at <= now + dt.timedelta(days=REMINDER_DAYS):
        return LetterKind.REMINDER
    return None


def render_letter_pdf(*, letter: DeficiencyLetter, deficiencies: list[Deficiency]) -> bytes:
    from reportlab.lib.pagesizes import letter as page_size
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas as pdf_canvas

    buffer = io.BytesIO()
    pdf = pdf_canvas.Canvas(buffer, pagesize=page_size, invariant=True)
    pdf.setTitle(f"{letter.get_kind_display()} letter: incomplete medical records")
    width, height = page_size
    y = height - inch

    def line(text: str, *, size: int = 10, bold: bool = False, gap: float = 14) -> None:
        nonlocal y
        if y < inch:
            pdf.showPage()
            y = height - inch
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(inch, y, text)
        y -= gap

    line(f"{letter.facility.name} · Health Information Management", size=12, bold=True, gap=20)
    line(f"Date: {letter.letter_date:%B %d, %Y}")
    line(f"To: {letter.provider}  (NPI {letter.provider.npi})", gap=24)
    if letter.kind == LetterKind.ESCALATION:
        line("ESCALATION: medical records delinquent", size=12, bold=True, gap=18)
        body = [
            f"The records below have been delinquent for {ESCALATION_DAYS} days or more.",
            "Under the medical staff rules, continued delinquency is referred to the",
            "chief medical officer and may lead to suspension of privileges.",
        ]
    else:
        line("Reminder: medical records to complete", size=12, bold=True, gap=18)
        body = [
            "The records below need your attention: they are due soon or recently past due.",
            "Please complete them in the chart-completion queue.",
        ]
    for text in body:
        line(text)
    y -= 10
    line("Visit        MRN          Deficiency                         Due", bold=True)
    for d in deficiencies:
        what = f"{d.get_kind_display()}: {d.get_doc_type_display() or 'document'}"
        due = timezone.localtime(d.due_at).strftime("%Y-%m-%d")
        overdue = " (past due)" if d.due_at < timezone.now() else ""
        line(
            f"{d.encounter.number:<12} {d.encounter.patient.mrn:<12} {what[:34]:<34} {due}{overdue}"
        )
    y -= 10
    line(f"{len(deficiencies)} item(s). Questions: the HIM department.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def deficiency_letters_generate(*, now=None) -> list[DeficiencyLetter]:
    """Make today's reminder and escalation letters; idempotent per provider, kind, day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = now + dt.timedelta(days=REMINDER_DAYS)
    open_items = (
        Deficiency.objects.open()
        .filter(due_at__lte=horizon, provider__isnull=False)
        .select_related("encounter__patient", "encounter__facility", "provider")
        .order_by("due_at", "pk")
    )
    groups: dict[tuple, list[Deficiency]] = defaultdict(list)
    for d in open_items:
        kind = _kind_for(d, now)
        if kind is not None:
            groups[(d.encounter.facility_id, d.provider_id, kind)].append(d)
    existing = set(
        DeficiencyLetter.objects.filter(letter_date=today).values_list(
            "facility_id", "provider_id", "kind"
        )
    )
    made = []
    for key, items in groups.items():
        if key in existing:
            continue
        letter = _letter_create(key=key, items=items, today=today)
        if letter is not None:
            made.append(letter)
    return made


def _letter_create(*, key, items: list[Deficiency], today) -> DeficiencyLetter | None:
    facility_id, provider_id, kind = key
    first = items[0]
    letter = DeficiencyLetter(
        facility=first.encounter.facility,
        provider=first.provider,
        kind=kind,
        letter_date=today,
    )
    content = render_letter_pdf(letter=letter, deficiencies=items)
    try:
        with transaction.atomic():
            letter.file.save(letter.filename, ContentFile(content), save=False)
            letter.save(force_insert=True)
            letter.deficiencies.set(items)
            trail.record(
                trail.Action.CREATE,
                obj=letter,
                detail={"deficiencies": [d.public_ref for d in items]},
            )
    except IntegrityError:
        # Another run made this letter first (the unique constraint): one is enough.
        letter.file.delete(save=False)
        return None
    return letter


def deficiency_letter_open(*, letter: DeficiencyLetter, user):
    """The letter's file for download; the download is an export in the trail."""
    handle = letter.file.open("rb")
    trail.record(trail.Action.EXPORT, obj=letter, user=user)
    return handle
