"""Release packets: choose documents and pages, redact, build, check.

The life of a packet, keyed by its ``Packet`` row:

- ``packet_request_build`` checks the request may be answered (the registered
  release checks: the authorization verdict...), supersedes the previous
  unreleased packet, creates the row (queued, with the request context of the
  person asking) and enqueues the task once the transaction commits;
- ``packet_build`` (from the task) claims the row with one conditional UPDATE
  (queued, or building with an expired lease), so two deliveries of one message
  cannot both build it; gathers the pages (PDFs as they are, text documents
  typeset straight into the packet, images converted), leaves out what the
  authorization does not cover, truly redacts the marked areas (a page with a
  redaction is replaced by a picture of itself with black boxes: its text is
  gone, not covered; pictures made while the specialist marked them are used
  while they still match, see ``services.pages``), stamps
  Bates numbers and the footer, puts the cover letter, the invoice page and,
  for Part 2 records, the 42 CFR 2.32 notice in front, and stores the file with
  its page count and SHA-256; then moves the request to quality check;
- ``packets_requeue_stale`` (from beat, every minute) enqueues again a packet
  whose message was lost or whose worker died, and fails one out of attempts;
- ``packet_approve`` / ``packet_reject``: the quality check, by a second person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import pikepdf
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from him import context, trail
from him.leases import LeasedJob
from records.models import Sensitivity
from release_of_info import hooks
from release_of_info.models import Packet, PreparedPDF, Redaction, RequestDocument, ROIRequest
from release_of_info.services import pages as page_services
from release_of_info.services.pages import BuildFailed, label, version_pdf
from release_of_info.services.status import roi_request_set_status

logger = logging.getLogger(__name__)
S = Packet.Status
APPROVE_PERMISSION = "release_of_info.approve_roirequest"
LEASE = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 3
# A queued packet nobody claimed for this long has lost its message.
QUEUED_GRACE = dt.timedelta(minutes=5)
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


# How a packet is written. The released pages' streams are copied as they are in
# the source: not decoded and re-encoded (a record goes out byte for byte as it was
# filed), and no stream is compressed by the save: the typeset text pages are
# compressed when written, and a page's stamp (a hundred-odd bytes) is left plain.
# Compressing hundreds of small streams at save time was a fifth of a build (about
# 13 ms of a 500-page packet, measured: zlib's set-up per stream, not the bytes).
# Object streams are generated: smaller, and faster to write than plain objects.
SAVE_OPTIONS = {
    "compress_streams": False,
    "stream_decode_level": pikepdf.StreamDecodeLevel.none,
    "object_stream_mode": pikepdf.ObjectStreamMode.generate,
}


# Requesting -----------------------------------------------------------------------------


def included_items(roi: ROIRequest):
    return (
        RequestDocument.objects.filter(request=roi, included=True)
        .select_related("document", "version")
        .order_by("position", "pk")
    )


# What a build reads of each chosen document (the label, the coverage rules, the
# pages): loading whole rows (timestamps and all) is a visible part of a build.
_BUILD_FIELDS = (
    "request_id",
    "document_id",
    "version_id",
    "pages",
    "included",
    "position",
    "document__patient_id",
    "document__encounter_id",
    "document__doc_type",
    "document__title",
    "document__service_date",
    "document__sensitivity",
    "version__document_id",
    "version__number",
    "version__text",
    "version__file",
    "version__content_type",
    "version__sha256",
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


JOB = LeasedJob(
    Packet,
    queued=S.QUEUED,
    running=S.BUILDING,
    failed=S.FAILED,
    requested_field="requested_at",
    lease=LEASE,
    grace=QUEUED_GRACE,
    max_attempts=MAX_ATTEMPTS,
)


def packet_claim(packet_id: int) -> Packet | None:
    if not JOB.claim(packet_id, progress=0):
        return None
    return Packet.objects.select_related("request").get(pk=packet_id)


def _set_progress(packet: Packet, percent: int) -> None:
    Packet.objects.filter(pk=packet.pk, status=S.BUILDING).update(progress=percent)


def _progress_of(packet: Packet):
    """A progress callback that writes the row only when the bar moves 5 points or more
    (a build reports once per document: a write each would be hundreds of UPDATEs)."""
    shown = [0]

    def report(percent: int) -> None:
        if percent - shown[0] >= 5:
            shown[0] = percent
            _set_progress(packet, percent)

    return report


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
            data, facts = assemble(packet, progress=_progress_of(packet))
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


def packets_requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Enqueue again the packets whose build was lost (message gone, worker dead);
    fail those out of attempts, saying why. Returns the ids enqueued again."""

    def give_up(attempts: int) -> dict:
        return {
            "error": f"The packet could not be built after {attempts} attempts (each one was "
            "interrupted: the background worker stopped or ran out of time). Build it again, "
            "or ask an administrator to check the workers."
        }

    def given_up(pk: int) -> None:
        trail.record(
            trail.Action.CREATE,
            obj=Packet.objects.get(pk=pk),
            outcome=trail.Outcome.FAILURE,
            reason="packet build given up after repeated interruptions",
        )

    return JOB.requeue_stale(enqueue=_enqueue, give_up=give_up, given_up=given_up, now=now)


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


class _Letter:
    """Letter pages drawn on one reportlab canvas: headings, wrapped paragraphs and a
    two-column table in the standard fonts, a page turned when one is full.

    Drawn straight on the canvas rather than through platypus: paragraph markup
    parsing and flowable layout were most of the cost of these two or three pages,
    for a layout this plain."""

    WIDTH, HEIGHT, MARGIN = 612, 792, 72
    BODY, LEADING = 10, 12

    def __init__(self):
        from reportlab.pdfgen import canvas

        self.buffer = io.BytesIO()
        # invariant: no timestamp or random id in the file; the packet's own save sets those.
        self.canvas = canvas.Canvas(
            self.buffer, pagesize=(self.WIDTH, self.HEIGHT), pageCompression=1, invariant=1
        )
        self.y = self.HEIGHT - self.MARGIN

    def _room(self, height: float) -> None:
        if self.y - height < self.MARGIN:
            self.page()

    def page(self) -> None:
        self.canvas.showPage()
        self.y = self.HEIGHT - self.MARGIN

    def heading(self, text: str) -> None:
        self._room(30)
        self.y -= 16
        self.canvas.setFont("Helvetica-Bold", 14)
        self.canvas.drawString(self.MARGIN, self.y, text)
        self.y -= 12

    def paragraph(self, text: str, *, space: float = 6) -> None:
        from reportlab.lib.utils import simpleSplit

        width = self.WIDTH - 2 * self.MARGIN
        self.canvas.setFont("Helvetica", self.BODY)
        for raw in text.split("\n"):
            for line in simpleSplit(raw, "Helvetica", self.BODY, width) or [""]:
                self._room(self.LEADING)
                self.y -= self.LEADING
                self.canvas.drawString(self.MARGIN, self.y, line)
        self.y -= space

    def space(self, height: float) -> None:
        self.y -= height

    def table(self, rows: list[list[str]], *, amount_at: float) -> None:
        """Rows of (item, amount), the amount right-aligned at ``amount_at`` points from
        the margin; the first row (the header) and the last (the total) in bold."""
        from reportlab.lib.utils import simpleSplit

        for n, (item, amount) in enumerate(rows):
            bold = n in (0, len(rows) - 1)
            font = "Helvetica-Bold" if bold else "Helvetica"
            lines = simpleSplit(item, font, self.BODY, amount_at - 90) or [""]
            self._room(self.LEADING * len(lines) + 4)
            self.canvas.setFont(font, self.BODY)
            self.y -= self.LEADING
            self.canvas.drawRightString(self.MARGIN + amount_at, self.y, amount)
            for k, line in enumerate(lines):
                if k:
                    self.y -= self.LEADING
                self.canvas.drawString(self.MARGIN, self.y, line)
            self.y -= 4
        self.y -= 6

    def bytes(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _front_matter(roi: ROIRequest, packet: Packet, pages: int, part2: bool) -> bytes:
    """Cover letter, invoice page and (Part 2) the redisclosure notice (reportlab)."""
    facility = roi.facility.name
    requester = roi.requester
    patient = roi.patient
    today = timezone.localdate()
    letter = _Letter()
    letter.heading(f"{facility}: release of information")
    letter.paragraph(f"{today:%B %d, %Y}")
    letter.paragraph(f"{requester.name}\n{requester.mailing_address}")
    letter.space(14)
    letter.paragraph(f"Re: request {roi.number}, received {roi.received_on:%B %d, %Y}")
    letter.paragraph(
        f"Patient: {patient.given_name} {patient.family_name}, born {patient.birth_date:%m/%d/%Y}"
    )
    letter.paragraph(
        f"Enclosed are copies of the records released in answer to your request "
        f"({pages} pages of records, Bates numbered {packet.bates_prefix}-"
        f"{packet.bates_start:06d} to {packet.bates_prefix}-"
        f"{packet.bates_start + pages - 1:06d}). Purpose stated: "
        f"{roi.get_purpose_display()}."
    )
    letter.paragraph(
        "These records are confidential. They are released for the purpose stated and must "
        "not be disclosed further except as the law permits."
    )
    letter.page()
    letter.heading("Invoice")
    letter.paragraph(f"Request {roi.number} · {today:%B %d, %Y}")
    invoices = hooks.collect(hooks.INVOICE, request=roi, pages=pages)
    rows = [["Item", "Amount"]]
    total = Decimal("0")
    status = ""
    for invoice in invoices:
        for line, amount in invoice.get("lines", []):
            rows.append([line, f"${Decimal(amount):.2f}"])
        total += Decimal(invoice.get("total", 0))
        status = invoice.get("status", status)
    if len(rows) == 1:
        rows.append(["No charge", "$0.00"])
    rows.append(["Total", f"${total:.2f}"])
    letter.table(rows, amount_at=432)
    if status:
        letter.paragraph(f"Status: {status}")
    if part2:
        letter.page()
        letter.heading("Notice to recipient: 42 CFR 2.32")
        letter.paragraph(PART2_NOTICE)
    return letter.bytes()


class _Stamps:
    """The footer and the Bates number of each released page.

    Written straight into page content: one shared standard font, a few bytes per
    page, about a tenth of the cost of a reportlab overlay. Text pages typeset
    here get theirs inside their own content as they are written (``text``);
    every other page is stamped afterwards (``stamp_pdf_pages``)."""

    NAME = pikepdf.Name("/HimStamp")

    def __init__(self, pdf: pikepdf.Pdf, prefix: str, start: int, footer: str):
        self.prefix, self.start = prefix, start
        self.font = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        )
        # Right-aligned Bates number: Helvetica digits and caps are about 0.6 em wide.
        self.width = 0.62 * 8 * (len(prefix) + 7)
        self.template = (
            b"q 0 g BT /HimStamp 7 Tf %.2f %.2f Td "
            + page_services.pdf_string(footer)
            + b" Tj ET BT /HimStamp 8 Tf %.2f %.2f Td (%s) Tj ET Q\n"
        )
        # The Bates number's string, escaped once: "%" doubled for the formatting.
        self.number = page_services.pdf_string(prefix)[1:-1].replace(b"%", b"%%") + b"-%06d"

    def ops(self, n: int, x0: float, y0: float, x1: float) -> bytes:
        """The drawing of released page ``n`` (0-based) on a page whose box starts at
        (x0, y0) and ends at x1: graphics state saved and restored around it."""
        return self.template % (
            x0 + 36,
            y0 + 14,
            x1 - 36 - self.width,
            y0 + 14,
            self.number % (self.start + n),
        )

    def text(self, n: int) -> bytes:
        """The stamp of a text page (``services.pages`` layout), released page ``n``."""
        x0, y0, x1, _ = page_services.TEXT_PAGE_BOX
        return self.ops(n, x0, y0, x1)

    def stamp_pdf_pages(self, pdf: pikepdf.Pdf, *, skip: int, done: set[int]) -> None:
        """Stamp every page after the first ``skip`` except those in ``done`` (stamped
        when written). Each page's own drawing is wrapped in q/Q (one shared "q"
        stream) so nothing it leaves set moves the stamp. The page dictionaries are
        touched directly (the font under a name of our own in each distinct
        resource dictionary) because this loop runs once per released page."""
        opener = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
        name, font = self.NAME, self.font
        resources_done: set[tuple[int, int]] = set()
        for index, page in enumerate(pdf.pages):  # iterating: a slice of pdf.pages is slow
            if index < skip or index in done:
                continue
            page_dict = page.obj
            resources = page_dict.get(pikepdf.Name.Resources)
            if resources is None:  # inherited or absent: give the page its own
                page.add_resource(font, pikepdf.Name.Font, name=name)
            elif (objgen := resources.objgen) == (0, 0) or objgen not in resources_done:
                fonts = resources.get(pikepdf.Name.Font)
                if fonts is None:
                    resources.Font = pikepdf.Dictionary({"/HimStamp": font})
                else:
                    fonts[name] = font
                if objgen != (0, 0):
                    resources_done.add(objgen)
            x0, y0, x1, _ = (float(v) for v in page.mediabox)
            stamp = pikepdf.Stream(pdf, b"Q " + self.ops(index - skip, x0, y0, x1))
            page.contents_add(opener, prepend=True)
            page.contents_add(stamp, prepend=False)


@dataclass
class _Part:
    """One chosen document in the packet: where its pages come from and which."""

    item: RequestDocument
    source: pikepdf.Pdf | None  # its PDF; None for a text document (``text``)
    pages: list[int]  # 1-based pages to release
    text: list[bytes] | None = None  # a text document's page contents, typeset here


def _open(data: bytes, opened: list) -> pikepdf.Pdf:
    pdf = pikepdf.open(io.BytesIO(data))
    opened.append(pdf)
    return pdf


def assemble(packet: Packet, *, progress=lambda p: None) -> tuple[bytes, BuildFacts]:
    """The packet's bytes: front matter, then each covered page, redacted and stamped.

    Pages are joined in runs (whole documents at once where nothing is redacted);
    text documents are written in place; redacted pages are taken from the prepared
    pictures while they match (see ``services.pages``) and made here otherwise."""
    roi = packet.request
    facts = BuildFacts()
    items = list(included_items(roi).only(*_BUILD_FIELDS))
    if not items:
        raise BuildFailed("No document is chosen for the packet.")
    redactions: dict[int, dict[int, list[Redaction]]] = {}
    boxes = Redaction.objects.filter(item__request=roi, item__included=True)
    for box in boxes.only("item_id", "page", "x0", "y0", "x1", "y1"):
        redactions.setdefault(box.item_id, {}).setdefault(box.page, []).append(box)
    prepared = page_services.prepared_for(items)
    opened: list = []  # every source stays open until the packet is saved
    covered: list[RequestDocument] = []
    for item, reason in zip(items, hooks.coverage(roi, items), strict=True):
        if reason:
            facts.left_out[item.pk] = reason
        else:
            covered.append(item)
    labels = {item.pk: label(item) for item in covered}
    parts: list[_Part] = []
    for n, item in enumerate(covered, start=1):
        name = f"Document “{labels[item.pk]}” version {item.version.number}"
        if page_services.is_text(item.version):
            text = page_services.text_page_contents(labels[item.pk], item.version.text)
            source, count = None, len(text)
        else:
            text, source = None, version_pdf(item.version, name)
            opened.append(source)
            count = len(source.pages)
        wanted = [int(p) for p in (item.pages or range(1, count + 1)) if 1 <= int(p) <= count]
        if item.pages and len(wanted) != len(item.pages):
            raise BuildFailed(f"{name} has {count} pages; the pages chosen are not all in it.")
        parts.append(_Part(item, source, wanted, text))
        if item.document.sensitivity & Sensitivity.PART2:
            facts.part2 = True
        progress(5 + 20 * n // len(covered))
    facts.pages = sum(len(p.pages) for p in parts)
    if not facts.pages:
        raise BuildFailed(
            "Every chosen document was left out (not covered by the authorization): nothing to "
            "release."
        )
    out = _open(_front_matter(roi, packet, facts.pages, facts.part2), opened)
    front = len(out.pages)
    footer = (
        f"Released to {roi.requester.name} on {timezone.localdate():%Y-%m-%d} — confidential "
        f"(request {roi.number})"
    )
    stamps = _Stamps(out, packet.bates_prefix, packet.bates_start, footer)
    # Shared by every text page (unused, it is not written: the save keeps what is reached).
    text_resources = page_services.text_resources(out, stamp_font=stamps.font)
    writer = _Writer(out, front, stamps, text_resources, opened)
    for n, part in enumerate(parts, start=1):
        writer.add(part, redactions.get(part.item.pk, {}), prepared)
        progress(25 + 55 * n // len(parts))
    if writer.count != len(out.pages):  # invariant: every page added was counted
        raise RuntimeError("packet page count out of step with the pages written")
    stamps.stamp_pdf_pages(out, skip=front, done=writer.stamped)
    progress(85)
    out.docinfo["/Title"] = f"Records released for request {roi.number}"
    buffer = io.BytesIO()
    out.save(buffer, **SAVE_OPTIONS)
    progress(95)
    facts.pages = len(out.pages)
    return buffer.getvalue(), facts


class _Writer:
    """Appends the parts' pages to the packet: a text document's pages written in
    place with their stamp, unredacted runs of a PDF at once, redacted pages as
    their prepared picture (made now if missing or stale)."""

    def __init__(self, out: pikepdf.Pdf, front: int, stamps: _Stamps, text_resources, opened):
        self.out, self.front, self.stamps = out, front, stamps
        self.text_resources, self.opened = text_resources, opened
        self.stamped: set[int] = set()  # indexes in ``out`` of the pages stamped when written
        # How many pages ``out`` has: counted here, since len(out.pages) costs about
        # as much as writing a text page.
        self.count = front

    def add(self, part: _Part, boxes: dict, prepared: dict) -> None:
        out, item, source = self.out, part.item, part.source
        pages = out.pages
        run: list[int] = []

        def flush():
            if not run:
                return
            first, last = run[0], run[-1]
            if part.text is not None:
                written = []
                for page in run:
                    index = self.count + len(written)
                    content = part.text[page - 1] + b"\n" + self.stamps.text(index - self.front)
                    written.append(page_services.text_page(out, self.text_resources, content))
                    self.stamped.add(index)
                pages.extend(written)
            elif first == 1 and last == len(run) == len(source.pages):
                pages.extend(source.pages)  # the whole document: pikepdf's fast path
            elif last - first + 1 == len(run):  # consecutive: one slice
                pages.extend(source.pages[first - 1 : last])
            else:
                pages.extend([source.pages[p - 1] for p in run])
            self.count += len(run)
            run.clear()

        for page in part.pages:
            marks = boxes.get(page)
            if not marks:
                run.append(page)
                continue
            flush()
            key = page_services.redaction_key(item, page, marks)
            kept_key, data = prepared.get((item.pk, PreparedPDF.Kind.REDACTED, page), ("", b""))
            if kept_key == key:
                data = bytes(data)
            else:
                whole = source if source is not None else page_services.item_pdf(item)
                data = page_services.redacted_page_pdf(whole, page - 1, marks)
            pages.extend(_open(data, self.opened).pages)
            self.count += 1
        flush()


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
