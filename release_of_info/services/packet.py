"""Release packets: choose documents and pages, redact, build, check.

The life of a packet, keyed by its ``Packet`` row:

- ``packet_request_build`` checks the request may be answered (the registered
  release checks: the authorization verdict...), supersedes the previous
  unreleased packet, creates the row (queued, with the request context of the
  person asking) and enqueues the task once the transaction commits;
- ``packet_build`` (from the task) claims the row with one conditional UPDATE
  (queued, or building with an expired lease), so two deliveries of one message
  cannot both build it; gathers the pages (PDFs as they are, text rendered with
  reportlab, images converted), leaves out what the authorization does not
  cover, truly redacts the marked areas (a page with a redaction is replaced by
  a picture of itself with black boxes: its text is gone, not covered), stamps
  Bates numbers and the footer, puts the cover letter, the invoice page and,
  for Part 2 records, the 42 CFR 2.32 notice in front, and stores the file with
  its page count and SHA-256; then moves the request to quality check;
- ``packet_approve`` / ``packet_reject``: the quality check, by a second person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

import pikepdf
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from him import context, trail
from records.models import DocumentVersion, Sensitivity
from release_of_info import hooks
from release_of_info.models import Packet, Redaction, RequestDocument, ROIRequest
from release_of_info.services.status import roi_request_set_status

logger = logging.getLogger(__name__)
S = Packet.Status
APPROVE_PERMISSION = "release_of_info.approve_roirequest"
LEASE = dt.timedelta(minutes=15)
REDACTION_DPI = 150
MAX_ATTEMPTS = 3
# Packets that a new build replaces (a released one never is).
_REPLACEABLE = [S.QUEUED, S.BUILDING, S.READY, S.FAILED, S.REJECTED, S.APPROVED]

PART2_NOTICE = (
    "This record which has been disclosed to you is protected by federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: further use or "
    "disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part "
    "2; you are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations; or you have received the record from a "
    "covered entity or business associate as permitted by 45 CFR part 164, subparts A and E. "
    "A general authorization for the release of medical or other information is NOT "
    "sufficient to meet the required elements of written consent to further use or redisclose "
    "the record (see 42 CFR 2.31)."
)


class BuildFailed(Exception):
    """A failure a person can act on; the message is shown as is."""


# Requesting -----------------------------------------------------------------------------


def included_items(roi: ROIRequest):
    return (
        RequestDocument.objects.filter(request=roi, included=True)
        .select_related("document", "version")
        .order_by("position", "pk")
    )


@transaction.atomic
def packet_request_build(*, roi: ROIRequest, user, bates_prefix: str = "") -> Packet:
    roi = ROIRequest.objects.select_for_update().get(pk=roi.pk)
    if roi.status != ROIRequest.Status.IN_PROCESS:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}: a packet is built "
            "while the request is in process."
        )
    problems = hooks.collect(hooks.RELEASE_CHECKS, request=roi)
    if problems:
        raise ValidationError([f"No packet can be built: {p}" for p in problems])
    if not included_items(roi).exists():
        raise ValidationError("Choose at least one document for the packet.")
    prefix = (bates_prefix or "").strip().upper()[:20] or roi.number.replace("ROI-", "")[:20]
    roi.packets.filter(status__in=_REPLACEABLE).update(status=S.SUPERSEDED)
    ctx = context.current()
    packet = Packet.objects.create(
        request=roi,
        status=S.QUEUED,
        bates_prefix=prefix,
        context=ctx.as_dict(),
        requested_by=user,
    )
    trail.record(trail.Action.CREATE, obj=packet, reason="packet build requested")
    transaction.on_commit(lambda: _enqueue(packet.pk))
    return packet


def _enqueue(packet_id: int) -> None:
    from release_of_info.tasks_packet import build_packet

    build_packet.delay(packet_id)


# Building -------------------------------------------------------------------------------


def packet_claim(packet_id: int) -> Packet | None:
    now = timezone.now()
    claimed = Packet.objects.filter(
        Q(status=S.QUEUED) | Q(status=S.BUILDING, lease_until__lt=now),
        pk=packet_id,
        attempts__lt=MAX_ATTEMPTS,
    ).update(status=S.BUILDING, lease_until=now + LEASE, attempts=F("attempts") + 1, progress=0)
    return Packet.objects.select_related("request").get(pk=packet_id) if claimed else None


def _set_progress(packet: Packet, percent: int) -> None:
    Packet.objects.filter(pk=packet.pk, status=S.BUILDING).update(progress=percent)


def _fail(packet: Packet, message: str) -> None:
    Packet.objects.filter(pk=packet.pk).update(status=S.FAILED, error=message, lease_until=None)
    trail.record(
        trail.Action.CREATE, obj=packet, outcome=trail.Outcome.FAILURE, reason=message[:300]
    )


def packet_build(*, packet_id: int) -> str:
    """Build a claimed packet; safe to call any number of times for one packet."""
    packet = packet_claim(packet_id)
    if packet is None:
        return "skipped"
    ctx = context.RequestContext.from_dict(packet.context)
    with context.use(ctx):
        try:
            data, facts = assemble(packet, progress=lambda p: _set_progress(packet, p))
        except BuildFailed as exc:
            _fail(packet, str(exc))
            return S.FAILED
        except Exception:  # whatever broke, the row must say it readably
            logger.exception("packet %s failed", packet.public_id)
            _fail(
                packet,
                "The packet could not be built because of an unexpected error; the details "
                f"were logged for the administrators (packet {packet.public_id}). Try again.",
            )
            return S.FAILED
        return _finish(packet, data, facts)


@transaction.atomic
def _finish(packet: Packet, data: bytes, facts: BuildFacts) -> str:
    locked = Packet.objects.select_for_update().get(pk=packet.pk)
    if locked.status != S.BUILDING:  # superseded while building
        return locked.status
    locked.file.save(f"{locked.public_id}.pdf", ContentFile(data), save=False)
    locked.page_count = facts.pages
    locked.sha256 = hashlib.sha256(data).hexdigest()
    locked.includes_part2 = facts.part2
    locked.status = S.READY
    locked.progress = 100
    locked.error = ""
    locked.lease_until = None
    locked.built_at = timezone.now()
    locked.save()
    for item_id, reason in facts.left_out.items():
        RequestDocument.objects.filter(pk=item_id).update(included=False, excluded_reason=reason)
    trail.record(
        trail.Action.CREATE,
        obj=locked,
        reason="packet built",
        detail={"pages": facts.pages, "sha256": locked.sha256, "left_out": len(facts.left_out)},
    )
    roi = locked.request
    if roi.status == ROIRequest.Status.IN_PROCESS:
        roi_request_set_status(
            roi=roi,
            status=ROIRequest.Status.QUALITY_CHECK,
            user=locked.requested_by,
            reason="packet built; waiting for quality check",
        )
    return S.READY


@dataclass
class BuildFacts:
    pages: int = 0
    part2: bool = False
    left_out: dict[int, str] = field(default_factory=dict)


def _version_pdf(version: DocumentVersion, label: str) -> pikepdf.Pdf:
    """The version as a PDF: the file as it is, an image converted, or the text typeset."""
    if version.file:
        try:
            with version.file.open("rb") as handle:
                raw = handle.read()
        except OSError:
            raise BuildFailed(f"{label}: the stored file is missing.") from None
        content_type = version.content_type or ""
        if content_type == "application/pdf" or raw[:5] == b"%PDF-":
            try:
                return pikepdf.open(io.BytesIO(raw))
            except pikepdf.PdfError:
                raise BuildFailed(f"{label} could not be read: not a valid PDF.") from None
        if content_type.startswith("image/"):
            return pikepdf.open(io.BytesIO(_image_pdf(raw, label)))
        raise BuildFailed(
            f"{label} could not be read: {content_type or 'unknown'} files cannot be put in a packet."
        )
    if version.text.strip():
        return pikepdf.open(io.BytesIO(text_pdf(version.text, title=label)))
    raise BuildFailed(f"{label} has neither a file nor text.")


def _image_pdf(raw: bytes, label: str) -> bytes:
    from PIL import Image, ImageSequence

    try:
        image = Image.open(io.BytesIO(raw))
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    except Exception:  # noqa: BLE001 - Pillow raises many kinds
        raise BuildFailed(f"{label} could not be read: the image is damaged.") from None
    out = io.BytesIO()
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:], resolution=150)
    return out.getvalue()


def text_pdfs(texts: list[tuple[str, str]]) -> tuple[bytes, list[tuple[int, int]]]:
    """Typeset text documents, each from a new letter page, in ONE PDF (reportlab canvas).

    ``texts``: (title, text) pairs. Returns the PDF and, per document, its first
    page index and page count. One PDF for all of them: building a packet with a
    hundred notes pays the PDF writer's fixed cost once, not a hundred times."""
    import textwrap

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    width, height = letter
    margin, leading, columns = 72, 11, 95
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=letter, pageCompression=1)
    spans: list[tuple[int, int]] = []
    page = 0
    for title, text in texts:
        first = page
        y = height - margin
        if title:
            c.setFont("Helvetica-Bold", 11)
            c.drawString(margin, y, title[:110])
            y -= 2 * leading
        lines = []
        for raw in (text or "").splitlines() or [""]:
            lines.extend(textwrap.wrap(raw.expandtabs(4), columns, drop_whitespace=False) or [""])
        c.setFont("Courier", 9)
        for line in lines:
            if y < margin:
                c.showPage()
                page += 1
                c.setFont("Courier", 9)
                y = height - margin
            c.drawString(margin, y, line)
            y -= leading
        c.showPage()
        page += 1
        spans.append((first, page - first))
    c.save()
    return buffer.getvalue(), spans


def text_pdf(text: str, *, title: str = "") -> bytes:
    """One text document typeset on letter pages."""
    return text_pdfs([(title, text)])[0]


def _redacted_page(
    target: pikepdf.Pdf, rendered, index: int, boxes: list[Redaction]
) -> pikepdf.Page:
    """Page ``index`` of ``rendered`` (a pypdfium2 document) as a picture with black boxes:
    no text, no vectors, no hidden layers survive; made directly in ``target``."""
    from PIL import ImageDraw

    page = rendered[index]
    width, height = page.get_size()
    image = page.render(scale=REDACTION_DPI / 72).to_pil().convert("RGB")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for box in boxes:
        draw.rectangle([box.x0 * w, box.y0 * h, box.x1 * w, box.y1 * h], fill=(0, 0, 0))
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=85)
    picture = pikepdf.Stream(target, jpeg.getvalue())
    picture.Type = pikepdf.Name.XObject
    picture.Subtype = pikepdf.Name.Image
    picture.Width, picture.Height = w, h
    picture.ColorSpace = pikepdf.Name.DeviceRGB
    picture.BitsPerComponent = 8
    picture.Filter = pikepdf.Name.DCTDecode
    content = pikepdf.Stream(target, b"q %.4f 0 0 %.4f 0 0 cm /Redacted Do Q" % (width, height))
    return pikepdf.Page(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, width, height]),
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Redacted=picture)),
            Contents=content,
        )
    )


def _front_matter(roi: ROIRequest, packet: Packet, pages: int, part2: bool) -> bytes:
    """Cover letter, invoice page and (Part 2) the redisclosure notice (reportlab)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    facility = roi.facility.name
    requester = roi.requester
    patient = roi.patient
    today = timezone.localdate()

    def p(text, style="BodyText"):
        return Paragraph(escape(text).replace("\n", "<br/>"), styles[style])

    story = [
        p(f"{facility}: release of information", "Heading2"),
        p(f"{today:%B %d, %Y}"),
        p(f"{requester.name}\n{requester.mailing_address}"),
        Spacer(1, 0.2 * inch),
        p(f"Re: request {roi.number}, received {roi.received_on:%B %d, %Y}"),
        p(
            f"Patient: {patient.given_name} {patient.family_name}, born "
            f"{patient.birth_date:%m/%d/%Y}"
        ),
        p(
            f"Enclosed are copies of the records released in answer to your request "
            f"({pages} pages of records, Bates numbered {packet.bates_prefix}-"
            f"{packet.bates_start:06d} to {packet.bates_prefix}-"
            f"{packet.bates_start + pages - 1:06d}). Purpose stated: "
            f"{roi.get_purpose_display()}."
        ),
        p(
            "These records are confidential. They are released for the purpose stated and must "
            "not be disclosed further except as the law permits."
        ),
        PageBreak(),
        p("Invoice", "Heading2"),
        p(f"Request {roi.number} · {today:%B %d, %Y}"),
    ]
    invoices = hooks.collect(hooks.INVOICE, request=roi, pages=pages)
    rows = [["Item", "Amount"]]
    total = Decimal("0")
    status = ""
    for invoice in invoices:
        for label, amount in invoice.get("lines", []):
            rows.append([label, f"${Decimal(amount):.2f}"])
        total += Decimal(invoice.get("total", 0))
        status = invoice.get("status", status)
    if len(rows) == 1:
        rows.append(["No charge", "$0.00"])
    rows.append(["Total", f"${total:.2f}"])
    story.append(Table(rows, colWidths=[4.5 * inch, 1.5 * inch]))
    if status:
        story.append(p(f"Status: {status}"))
    if part2:
        story += [
            PageBreak(),
            p("Notice to recipient: 42 CFR 2.32", "Heading2"),
            p(PART2_NOTICE),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
    ).build(story)
    return buffer.getvalue()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _stamp(pdf: pikepdf.Pdf, prefix: str, start: int, footer: str) -> None:
    """Write the footer and the Bates number onto every page.

    Straight into each page's content (one shared standard font, a few bytes per
    page), the page's own drawing wrapped in q/Q so nothing it leaves set moves
    the stamp: about a tenth of the cost of a reportlab overlay per page."""
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    footer_bytes = _pdf_string(footer)
    for n, page in enumerate(pdf.pages):
        name = page.add_resource(font, pikepdf.Name.Font, prefix="HimStamp")
        x0, y0, x1, _ = (float(v) for v in page.mediabox)
        bates = _pdf_string(f"{prefix}-{start + n:06d}")
        # Right-aligned Bates number: Helvetica-Bold digits and caps are about 0.6 em wide.
        width = 0.62 * 8 * (len(prefix) + 7)
        stamp = (
            b"Q q 0 g BT "
            + str(name).encode()
            + b" 7 Tf %.2f %.2f Td " % (x0 + 36, y0 + 14)
            + footer_bytes
            + b" Tj ET BT "
            + str(name).encode()
            + b" 8 Tf %.2f %.2f Td " % (x1 - 36 - width, y0 + 14)
            + bates
            + b" Tj ET Q\n"
        )
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, stamp), prepend=False)


def _renderable(source: pikepdf.Pdf):
    """``source`` opened by the renderer (pdfium), once per document with redactions."""
    import pypdfium2

    buffer = io.BytesIO()
    source.save(buffer)
    return pypdfium2.PdfDocument(buffer.getvalue())


def _label(item: RequestDocument) -> str:
    return f"{item.document.get_doc_type_display()} {item.document.title}".strip()


def assemble(packet: Packet, *, progress=lambda p: None) -> tuple[bytes, BuildFacts]:
    """The packet's bytes: front matter, then each covered page, redacted and stamped."""
    roi = packet.request
    facts = BuildFacts()
    items = list(included_items(roi))
    if not items:
        raise BuildFailed("No document is chosen for the packet.")
    redactions: dict[int, dict[int, list[Redaction]]] = {}
    for box in Redaction.objects.filter(item__in=items):
        redactions.setdefault(box.item_id, {}).setdefault(box.page, []).append(box)
    body = pikepdf.new()
    sources = []  # keep the sources open until the body is saved
    # Text-only versions are typeset together, once.
    text_items = [i for i in items if not i.version.file and i.version.text.strip()]
    typeset: dict[int, tuple[int, int]] = {}
    combined = None
    if text_items:
        data, spans = text_pdfs([(_label(i), i.version.text) for i in text_items])
        combined = pikepdf.open(io.BytesIO(data))
        sources.append(combined)
        typeset = {i.pk: span for i, span in zip(text_items, spans, strict=True)}
    for i, item in enumerate(items):
        reason = next(
            (r for r in hooks.collect(hooks.DOCUMENT_COVERAGE, request=roi, document=item) if r),
            None,
        )
        if reason:
            facts.left_out[item.pk] = reason
            continue
        label = f"Document “{_label(item)}” version {item.version.number}"
        if item.pk in typeset:
            source = combined
            base, count = typeset[item.pk]
        else:
            source = _version_pdf(item.version, label)
            sources.append(source)
            base, count = 0, len(source.pages)
        wanted = [n for n in (item.pages or range(1, count + 1)) if 1 <= int(n) <= count]
        if item.pages and len(wanted) != len(item.pages):
            raise BuildFailed(f"{label} has {count} pages; the pages chosen are not all in it.")
        boxes = redactions.get(item.pk, {})
        rendered = None
        for n in wanted:
            if boxes.get(n):
                if rendered is None:
                    rendered = _renderable(source)
                    sources.append(rendered)
                body.pages.append(_redacted_page(body, rendered, base + n - 1, boxes[n]))
            else:
                body.pages.append(source.pages[base + n - 1])
        if item.document.sensitivity & Sensitivity.PART2:
            facts.part2 = True
        progress(5 + int(70 * (i + 1) / len(items)))
    facts.pages = len(body.pages)
    if not facts.pages:
        raise BuildFailed(
            "Every chosen document was left out (not covered by the authorization): nothing to "
            "release."
        )
    recipient = roi.requester.name
    footer = (
        f"Released to {recipient} on {timezone.localdate():%Y-%m-%d} — confidential "
        f"(request {roi.number})"
    )
    _stamp(body, packet.bates_prefix, packet.bates_start, footer)
    progress(85)
    front = pikepdf.open(io.BytesIO(_front_matter(roi, packet, facts.pages, facts.part2)))
    out = pikepdf.new()
    out.pages.extend(front.pages)
    out.pages.extend(body.pages)
    out.docinfo["/Title"] = f"Records released for request {roi.number}"
    buffer = io.BytesIO()
    out.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    progress(95)
    facts.pages = len(out.pages)
    return buffer.getvalue(), facts


# Checking ------------------------------------------------------------------------------


def packet_verify(packet: Packet) -> bool:
    """Do the stored bytes still hash to what was recorded when the packet was built?"""
    if not packet.file or not packet.sha256:
        return False
    digest = hashlib.sha256()
    try:
        with packet.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == packet.sha256


def _check(packet: Packet, user) -> Packet:
    if not user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("Your role may not check packets.")
    locked = Packet.objects.select_for_update().select_related("request").get(pk=packet.pk)
    if locked.status != S.READY:
        raise ValidationError(
            f"This packet is {locked.get_status_display().lower()}; only a packet ready for "
            "quality check can be approved or rejected."
        )
    if locked.requested_by_id == user.pk:
        raise ValidationError(
            "You built this packet: a second person must check it before it is released."
        )
    return locked


@transaction.atomic
def packet_approve(*, packet: Packet, user, note: str = "") -> Packet:
    locked = _check(packet, user)
    if not packet_verify(locked):
        raise ValidationError("The packet file does not match its SHA-256; build it again.")
    locked.status = S.APPROVED
    locked.checked_by = user
    locked.checked_at = timezone.now()
    locked.check_note = (note or "").strip()
    locked.save()
    trail.record(trail.Action.UPDATE, obj=locked, reason="packet approved in quality check")
    return locked


@transaction.atomic
def packet_reject(*, packet: Packet, user, note: str) -> Packet:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what is wrong, so the packet can be fixed."})
    locked = _check(packet, user)
    locked.status = S.REJECTED
    locked.checked_by = user
    locked.checked_at = timezone.now()
    locked.check_note = note
    locked.save()
    trail.record(trail.Action.UPDATE, obj=locked, reason=f"packet rejected: {note}"[:300])
    roi = locked.request
    if roi.status == ROIRequest.Status.QUALITY_CHECK:
        roi_request_set_status(
            roi=roi, status=ROIRequest.Status.IN_PROCESS, user=user, reason=f"QA: {note}"
        )
    return locked


def packet_open(*, packet: Packet, user):
    if packet.status not in (S.READY, S.APPROVED, S.RELEASED) or not packet.file:
        raise FileNotFoundError("This packet has no file to download.")
    trail.record(trail.Action.EXPORT, obj=packet, reason="packet downloaded")
    return packet.file.open("rb")


__all__ = [
    "BuildFailed",
    "packet_approve",
    "packet_build",
    "packet_open",
    "packet_reject",
    "packet_request_build",
    "packet_verify",
]
