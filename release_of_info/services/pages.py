"""The pages of a release: documents as PDFs, typeset text, redacted pages, made ahead.

The slow parts of a packet are typesetting text documents and rasterizing the
pages that carry redactions. Both are made when the specialist works (a text
document when it is chosen or previewed, a redacted page when an area on it is
marked or unmarked) and kept as ``PreparedPDF`` rows under a digest of their
inputs. The build takes a prepared piece while its digest still matches what it
would make now and makes it itself otherwise, so a stale or missing piece can
never put the wrong page in a packet; it only costs time.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib

import pikepdf

from records.models import Document, DocumentVersion
from release_of_info.models import PreparedPDF, Redaction, RequestDocument

logger = logging.getLogger(__name__)

REDACTION_DPI = 150
# Bump when the text layout or the redaction picture changes: prepared pieces made
# the old way stop matching and are made again.
TEXT_LAYOUT = "text-v1"
REDACTION_LAYOUT = f"redacted-v2-{REDACTION_DPI}dpi-gray-flate-or-jpeg85"


class BuildFailed(Exception):
    """A failure a person can act on; the message is shown as is."""


_TYPE_LABELS: dict[str, str] = {}


def label(item: RequestDocument) -> str:
    """What the document is called in the packet: its type and title."""
    if not _TYPE_LABELS:  # once: get_doc_type_display() is slow enough to show in a build
        _TYPE_LABELS.update((value, str(text)) for value, text in Document.Type.choices)
    kind = item.document.doc_type
    return f"{_TYPE_LABELS.get(kind, kind)} {item.document.title}".strip()


def is_text(version: DocumentVersion) -> bool:
    return not version.file and bool(version.text.strip())


# Documents as PDFs ------------------------------------------------------------------------


def version_pdf(version: DocumentVersion, label: str) -> pikepdf.Pdf:
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
    page index and page count. One PDF for all of them: a build that must typeset
    many notes pays the PDF writer's fixed cost once, not once per note."""
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


def redacted_page_pdf(source: pikepdf.Pdf, index: int, boxes) -> bytes:
    """Page ``index`` of ``source`` as a one-page PDF holding only a picture of it with
    black boxes over ``boxes`` (fractions of the page, origin top left): no text, no
    vectors, no hidden layers survive, so extracting text finds nothing of it."""
    import pypdfium2
    from PIL import ImageDraw

    single = pikepdf.new()
    single.pages.append(source.pages[index])
    buffer = io.BytesIO()
    single.save(buffer)
    rendered = pypdfium2.PdfDocument(buffer.getvalue())
    try:
        page = rendered[0]
        width, height = page.get_size()
        image = page.render(scale=REDACTION_DPI / 72).to_pil().convert("RGB")
    finally:
        rendered.close()
    gray = _is_gray(image)
    if gray:
        image = image.convert("L")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for box in boxes:
        draw.rectangle([box.x0 * w, box.y0 * h, box.x1 * w, box.y1 * h], fill=0)
    out = pikepdf.new()
    if gray:
        # A black-and-white page (most records): lossless, and about half the bytes of
        # a JPEG of it, in the store and in the packet; no smudge around the letters.
        picture = pikepdf.Stream(out, zlib.compress(image.tobytes(), 3))
        picture.Filter = pikepdf.Name.FlateDecode
        picture.ColorSpace = pikepdf.Name.DeviceGray
    else:
        jpeg = io.BytesIO()
        image.save(jpeg, format="JPEG", quality=85)
        picture = pikepdf.Stream(out, jpeg.getvalue())
        picture.Filter = pikepdf.Name.DCTDecode
        picture.ColorSpace = pikepdf.Name.DeviceRGB
    picture.Type = pikepdf.Name.XObject
    picture.Subtype = pikepdf.Name.Image
    picture.Width, picture.Height = w, h
    picture.BitsPerComponent = 8
    content = pikepdf.Stream(out, b"q %.4f 0 0 %.4f 0 0 cm /Redacted Do Q" % (width, height))
    out.pages.append(
        pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=pikepdf.Array([0, 0, width, height]),
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Redacted=picture)),
                Contents=content,
            )
        )
    )
    result = io.BytesIO()
    out.save(result)
    return result.getvalue()


def _is_gray(image) -> bool:
    """Do the three channels of this RGB picture hold the same values everywhere?"""
    from PIL import ImageChops

    red, green, blue = image.split()
    return (
        ImageChops.difference(red, green).getbbox() is None
        and ImageChops.difference(green, blue).getbbox() is None
    )


# Prepared pieces --------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def text_key(item: RequestDocument, title: str | None = None) -> str:
    return _digest(TEXT_LAYOUT, label(item) if title is None else title, item.version.text)


def redaction_key(item: RequestDocument, page: int, boxes) -> str:
    version = item.version
    coordinates = sorted(f"{b.x0:.6f},{b.y0:.6f},{b.x1:.6f},{b.y1:.6f}" for b in boxes)
    return _digest(
        REDACTION_LAYOUT,
        str(version.pk),
        version.sha256 or "",
        str(page),
        ";".join(coordinates),
    )


def prepared_for(items: list[RequestDocument]) -> dict[tuple[int, str, int], tuple[str, bytes]]:
    """The prepared pieces of these items as (key, PDF) by (item id, kind, page): one query."""
    kept = PreparedPDF.objects.filter(item__in=[i.pk for i in items])
    return {
        (item_id, kind, page): (key, pdf)
        for item_id, kind, page, key, pdf in kept.values_list(
            "item_id", "kind", "page", "key", "pdf"
        )
    }


def _store(item: RequestDocument, kind: str, page: int, key: str, data: bytes) -> None:
    PreparedPDF.objects.update_or_create(
        item=item, kind=kind, page=page, defaults={"key": key, "pdf": data}
    )


def prepare_text(item: RequestDocument) -> bytes | None:
    """The item's text typeset (made now unless a matching one is kept); None if not text."""
    if not is_text(item.version):
        return None
    if item.pk is None:  # not chosen yet (its page count is being checked): nothing to keep
        return text_pdf(item.version.text, title=label(item))
    key = text_key(item)
    kept = PreparedPDF.objects.filter(item=item, kind=PreparedPDF.Kind.TEXT, page=0).first()
    if kept is not None and kept.key == key:
        return bytes(kept.pdf)
    data = text_pdf(item.version.text, title=label(item))
    _store(item, PreparedPDF.Kind.TEXT, 0, key, data)
    return data


def item_pdf(item: RequestDocument) -> pikepdf.Pdf:
    """The item's document as a PDF, typeset text taken from (or kept for) later builds."""
    data = prepare_text(item)
    if data is not None:
        return pikepdf.open(io.BytesIO(data))
    return version_pdf(item.version, label(item))


def prepare_redacted_page(item: RequestDocument, page: int) -> None:
    """Make (or drop) the redacted picture of one page after its marks changed.

    A page the build will need is made now, while the specialist works. If it
    cannot be made (a damaged file), nothing is kept and the build says why."""
    boxes = list(Redaction.objects.filter(item=item, page=page))
    if not boxes:
        PreparedPDF.objects.filter(item=item, kind=PreparedPDF.Kind.REDACTED, page=page).delete()
        return
    try:
        source = item_pdf(item)
        if not 1 <= page <= len(source.pages):
            return
        data = redacted_page_pdf(source, page - 1, boxes)
    except BuildFailed as exc:
        logger.warning("redacted page %s of item %s not prepared: %s", page, item.pk, exc)
        PreparedPDF.objects.filter(item=item, kind=PreparedPDF.Kind.REDACTED, page=page).delete()
        return
    _store(item, PreparedPDF.Kind.REDACTED, page, redaction_key(item, page, boxes), data)
