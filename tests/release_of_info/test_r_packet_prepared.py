"""Pieces of the packet made while the specialist works: typeset text when a document
is chosen, a redacted page when an area is marked. The build takes a piece only while
it still matches what it would make now; a stale one is never released."""

from __future__ import annotations

import io

import pikepdf
import pytest
import r_packet_support as s
from reportlab.pdfgen import canvas

from release_of_info.models import PreparedPDF
from release_of_info.services import pages, picker
from release_of_info.services.packet import assemble

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_authorization_rules")]

# s.pdf writes a line every 18 points from 72 points below the top of a letter page.
TOP_LINE = (0.0, 0.0, 1.0, 0.1)
THIRD_LINE = (0.0, 0.12, 1.0, 0.145)


def packet_bytes(request) -> bytes:
    from release_of_info.models import Packet

    packet = Packet.objects.create(request=request, status=Packet.Status.BUILDING, bates_prefix="T")
    return assemble(packet)[0]


def packet_text(request) -> str:
    return s.words(packet_bytes(request))


def blacked_out(data: bytes, page: int, box) -> bool:
    """Is the middle of ``box`` (fractions, origin top left) black on that 0-based page?"""
    import pypdfium2
    from PIL import ImageStat

    doc = pypdfium2.PdfDocument(data)
    try:
        image = doc[page].render(scale=1).to_pil().convert("L")
    finally:
        doc.close()
    w, h = image.size
    x0, y0, x1, y1 = box
    inner = image.crop(
        (int((x0 + 0.02) * w), int(y0 * h) + 1, int((x1 - 0.02) * w), int(y1 * h) - 1)
    )
    return ImageStat.Stat(inner).mean[0] < 20


def mark(item, user, box=TOP_LINE, page=1):
    x0, y0, x1, y1 = box
    return picker.redaction_add(item=item, user=user, page=page, x0=x0, y0=y0, x1=x1, y1=y1)


def test_a_text_document_is_typeset_into_the_packet_title_lines_and_page_breaks(
    facility, specialist
):
    request = s.roi(facility)
    body = "\n".join(f"Line {n} of the note (x) \\ café" for n in range(1, 121))
    body += "\n" + "word " * 60  # one line longer than a page is wide: wrapped
    doc = s.text_document(request, body, title="Discharge")
    picker.document_choose(roi=request, document=doc, user=specialist)
    pages = s.page_texts(packet_bytes(request))[2:]  # after the cover letter and invoice
    assert len(pages) == 3  # 57 lines under the title, then 59 a page
    assert pages[0].startswith("Progress note Discharge Line 1 of the note (x) \\ café")
    assert "Line 57 " in pages[0] and "Line 58 " not in pages[0]
    assert "Line 58 " in pages[1] and "Line 117 " in pages[2] and "word word" in pages[2]
    assert all(f"T-00000{n}" in page for n, page in enumerate(pages, start=1))
    assert not PreparedPDF.objects.exists()  # nothing is kept for a text document


def test_a_marked_area_on_a_text_document_is_redacted_too(facility, specialist):
    request = s.roi(facility)
    doc = s.text_document(request, "SECRETWORD on the first line\nsecond line", title="Note")
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    mark(item, specialist, box=(0.0, 0.0, 1.0, 0.2))
    assert PreparedPDF.objects.filter(item=item).count() == 1
    assert "SECRETWORD" not in packet_text(request)


def test_a_text_documents_redacted_picture_is_made_again_when_its_title_changes(
    facility, specialist
):
    request = s.roi(facility)
    doc = s.text_document(request, "SECRETWORD here", title="Old title")
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    mark(item, specialist, box=(0.0, 0.5, 1.0, 0.6))  # an empty band: the page stays legible
    kept = PreparedPDF.objects.get(item=item)
    doc.title = "New title"
    doc.save()
    item.refresh_from_db()
    assert kept.key != pages.redaction_key(item, 1, list(item.redactions.all()))


def test_marking_an_area_prepares_the_redacted_page_and_unmarking_drops_it(facility, specialist):
    request = s.roi(facility)
    doc = s.pdf_document(request, [["SECRETWORD on top", "Blood pressure stable"], ["Page two"]])
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    box = mark(item, specialist)
    piece = PreparedPDF.objects.get(item=item, kind=PreparedPDF.Kind.REDACTED, page=1)
    assert "SECRETWORD" not in s.words(bytes(piece.pdf))
    assert piece.key == pages.redaction_key(item, 1, [box])
    text = packet_text(request)
    assert "SECRETWORD" not in text and "Page two" in text
    picker.redaction_remove(redaction=box, user=specialist)
    assert not PreparedPDF.objects.filter(item=item, kind=PreparedPDF.Kind.REDACTED).exists()
    assert "SECRETWORD" in packet_text(request)


def test_a_second_mark_on_the_page_remakes_its_picture(facility, specialist):
    request = s.roi(facility)
    doc = s.pdf_document(request, [["FIRSTSECRET line", "Middle line", "SECONDSECRET line"]])
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    first = mark(item, specialist)
    second = mark(item, specialist, box=THIRD_LINE)
    piece = PreparedPDF.objects.get(item=item, kind=PreparedPDF.Kind.REDACTED, page=1)
    assert piece.key == pages.redaction_key(item, 1, [first, second])
    assert blacked_out(bytes(piece.pdf), 0, TOP_LINE)
    assert blacked_out(bytes(piece.pdf), 0, THIRD_LINE)
    built = packet_bytes(request)
    assert blacked_out(built, 2, THIRD_LINE)  # after the cover letter and the invoice
    assert "SECONDSECRET" not in s.words(built)


def test_a_box_changed_behind_the_picker_is_still_redacted(facility, specialist):
    """The prepared picture was made for the old box; the build sees the key differ
    and rasterizes the page with the box as it is now."""
    request = s.roi(facility)
    doc = s.pdf_document(request, [["Harmless top line", "Middle", "MOVEDSECRET here, then more"]])
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    box = mark(item, specialist)
    box.y0, box.y1 = THIRD_LINE[1], THIRD_LINE[3]
    box.save()
    built = packet_bytes(request)
    assert "MOVEDSECRET" not in s.words(built)
    assert blacked_out(built, 2, THIRD_LINE)
    assert not blacked_out(built, 2, (0.0, 0.07, 1.0, 0.1))  # the old box's place


def test_prepared_pieces_go_with_their_document(facility, specialist):
    request = s.roi(facility)
    doc = s.pdf_document(request, [["SECRETWORD"]])
    item = picker.document_choose(roi=request, document=doc, user=specialist)
    mark(item, specialist)
    assert PreparedPDF.objects.filter(item=item).exists()
    picker.item_remove(item=item, user=specialist)
    assert not PreparedPDF.objects.exists()


def test_the_progress_bar_is_written_every_five_points_not_per_document(monkeypatch):
    from release_of_info.services import packet as services

    writes = []
    monkeypatch.setattr(services, "_set_progress", lambda packet, percent: writes.append(percent))
    report = services._progress_of(object())
    for percent in [5 + 70 * n // 300 for n in range(1, 301)]:  # a 300-document build
        report(percent)
    assert 10 <= len(writes) <= 16
    assert writes == sorted(writes) and writes[-1] >= 70


def _picture(data: bytes) -> tuple[str, str]:
    """(colour space, filter) of the one image of a prepared one-page PDF."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        image = pdf.pages[0].Resources.XObject["/Redacted"]
        return str(image.ColorSpace), str(image.Filter)


def test_a_black_and_white_page_is_kept_gray_and_lossless_a_colour_one_in_colour(
    facility, specialist
):
    request = s.roi(facility)
    plain = picker.document_choose(
        roi=request, document=s.pdf_document(request, [["SECRET", "black text"]]), user=specialist
    )
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.setFillColorRGB(0.8, 0.1, 0.1)
    c.drawString(72, 720, "SECRET in red")
    c.drawString(72, 700, "a red wound chart")
    c.save()
    coloured = picker.document_choose(
        roi=request, document=s.pdf_document(request, buffer.getvalue()), user=specialist
    )
    mark(plain, specialist)
    mark(coloured, specialist)
    gray = _picture(bytes(PreparedPDF.objects.get(item=plain, kind="redacted").pdf))
    colour = _picture(bytes(PreparedPDF.objects.get(item=coloured, kind="redacted").pdf))
    assert gray == ("/DeviceGray", "/FlateDecode")
    assert colour == ("/DeviceRGB", "/DCTDecode")
