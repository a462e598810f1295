"""The pages of a release: documents as PDFs, typeset text, redacted pages.

Text documents are written straight as page content (no PDF library between),
so typesetting them costs next to nothing. Rasterizing a page that carries
redactions is the slow part of a packet: it is done when the specialist marks
or unmarks an area on the page, and kept as a ``PreparedPDF`` row under a
digest of its inputs. The build takes a prepared picture while its digest still
matches what it would make now and makes it itself otherwise, so a stale or
missing piece can never put the wrong page in a packet; it only costs time.
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
# Bump when the text layout or the redaction picture changes: prepared pictures made
# the old way stop matching and are made again.
TEXT_LAYOUT = "text-v2-direct"
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
            except pikepdf.PasswordError:
                raise BuildFailed(
                    f"{label} is protected by a password: file a copy without the password "
                    "(a new version of the document) and build again."
                ) from None
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


# Text documents are written straight as PDF page content: Courier 9 on letter pages,
# the title in Helvetica-Bold 11, the standard fonts every reader has (WinAnsi: what
# cp1252 cannot show prints as "?"). No PDF library in between: a build writes the
# pages of a hundred notes into the packet in a few milliseconds.
_PAGE = (612, 792)  # US letter, points
TEXT_PAGE_BOX = (0, 0, *_PAGE)
_MARGIN, _LEADING, _COLUMNS = 72, 11, 95
_TOP = _PAGE[1] - _MARGIN
_LINES_FIRST = (_TOP - 2 * _LEADING - _MARGIN) // _LEADING + 1  # under the title
_LINES = (_TOP - _MARGIN) // _LEADING + 1


def _escape(text: str) -> bytes:
    """``text`` in WinAnsi (cp1252), escaped for the inside of a PDF literal string."""
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_string(text: str) -> bytes:
    """``text`` as a PDF literal string in WinAnsi (cp1252), escaped."""
    return b"(" + _escape(text) + b")"


def _text_lines(text: str) -> list[str]:
    import textwrap

    lines: list[str] = []
    for raw in (text or "").splitlines() or [""]:
        raw = raw.expandtabs(4)
        if len(raw) <= _COLUMNS:
            lines.append(raw)
        else:
            lines.extend(textwrap.wrap(raw, _COLUMNS, drop_whitespace=False) or [""])
    return lines


def text_page_contents(title: str, text: str) -> list[bytes]:
    """The content stream of each page of a text document: title, then the lines."""
    # Encoded and escaped once for the whole text, not line by line (a hundred notes of
    # thirty lines each were 3,000 small encodes); a line never holds a newline.
    lines = _escape("\n".join(_text_lines(text))).split(b"\n")
    pages: list[bytes] = []
    start = 0
    while True:
        parts = []
        if not pages and title:
            parts.append(
                b"BT /HimBold 11 Tf %d %d Td %s Tj ET" % (_MARGIN, _TOP, pdf_string(title[:110]))
            )
            top, count = _TOP - 2 * _LEADING, _LINES_FIRST
        else:
            top, count = _TOP, _LINES
        chunk = lines[start : start + count]
        start += count
        if chunk:
            shown = b") Tj T* (".join(chunk)
            parts.append(
                b"BT /HimMono 9 Tf %d TL %d %d Td (%s) Tj ET" % (_LEADING, _MARGIN, top, shown)
            )
        pages.append(b"\n".join(parts))
        if start >= len(lines):
            return pages


# zlib level for typeset text: 1 is most of the size win of 6 at a fraction of the time.
TEXT_COMPRESSION = 1
_FLATE = pikepdf.Name.FlateDecode


def _font(base: str) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name(base),
        Encoding=pikepdf.Name.WinAnsiEncoding,
    )


def text_resources(pdf: pikepdf.Pdf, *, stamp_font: pikepdf.Object | None = None) -> pikepdf.Object:
    """The resources text pages use (one dictionary, shared by all of them in ``pdf``);
    with ``stamp_font``, also under /HimStamp, for a packet's stamp written in the page."""
    fonts = pikepdf.Dictionary(HimMono=_font("/Courier"), HimBold=_font("/Helvetica-Bold"))
    if stamp_font is not None:
        fonts.HimStamp = stamp_font
    return pdf.make_indirect(pikepdf.Dictionary(Font=fonts))


def text_page(pdf: pikepdf.Pdf, resources: pikepdf.Object, content: bytes) -> pikepdf.Page:
    # Compressed here: the packet is saved without compressing or re-encoding streams
    # (see ``services.packet.SAVE_OPTIONS``).
    stream = pikepdf.Stream(pdf, zlib.compress(content, TEXT_COMPRESSION))
    stream.Filter = _FLATE  # set after: a keyword to Stream() costs three times as much
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array(TEXT_PAGE_BOX),
        Resources=resources,
        Contents=stream,
    )
    # Made indirect here: cheaper than the page list doing it on insertion.
    return pikepdf.Page(pdf.make_indirect(page))


def text_pdf(text: str, *, title: str = "") -> bytes:
    """One text document typeset on letter pages, as a PDF of its own."""
    pdf = pikepdf.new()
    resources = text_resources(pdf)
    for content in text_page_contents(title, text):
        pdf.pages.append(text_page(pdf, resources, content))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


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


def redaction_key(item: RequestDocument, page: int, boxes) -> str:
    version = item.version
    coordinates = sorted(f"{b.x0:.6f},{b.y0:.6f},{b.x1:.6f},{b.y1:.6f}" for b in boxes)
    # A typeset page also depends on the layout and on the title printed on it.
    typeset = f"{TEXT_LAYOUT}|{label(item)}" if is_text(version) else ""
    return _digest(
        REDACTION_LAYOUT,
        typeset,
        str(version.pk),
        version.sha256 or "",
        str(page),
        ";".join(coordinates),
    )


def prepared_for(items: list[RequestDocument]) -> dict[tuple[int, str, int], tuple[str, bytes]]:
    """The prepared pictures of these items as (key, PDF) by (item id, kind, page): one query."""
    kept = PreparedPDF.objects.filter(
        item__in=[i.pk for i in items], kind=PreparedPDF.Kind.REDACTED
    ).values_list("item_id", "kind", "page", "key", "pdf")
    return {(item_id, kind, page): (key, pdf) for item_id, kind, page, key, pdf in _rows(kept)}


def _rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` queryset; on PostgreSQL fetched in binary.

    Django's psycopg cursor reads results as text, and a bytea column as text is
    hex: twice the bytes on the wire, decoded back on arrival. For the pictures
    of a packet's redacted pages (megabytes) that is two thirds of the read
    (15 ms against 5 ms for twenty pages, measured). The query is Django's own,
    run on the same connection, in the same transaction."""
    from django.db import connections

    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset)
    import psycopg

    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _store(item: RequestDocument, kind: str, page: int, key: str, data: bytes) -> None:
    PreparedPDF.objects.update_or_create(
        item=item, kind=kind, page=page, defaults={"key": key, "pdf": data}
    )


def item_pdf(item: RequestDocument) -> pikepdf.Pdf:
    """The item's document as a PDF (a text document typeset)."""
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
