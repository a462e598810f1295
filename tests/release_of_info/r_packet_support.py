"""Requests in process with chosen documents (real small PDFs), for the packet tests."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pypdfium2
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.pdfgen import canvas

from records.models import Document, Patient
from records.services.documents import document_create
from release_of_info.models import Redaction, RequestDocument, Requester, ROIRequest

_n = itertools.count(1)


def pdf(lines_per_page: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for lines in lines_per_page:
        for i, line in enumerate(lines):
            c.drawString(72, 720 - 18 * i, line)
        c.showPage()
    c.save()
    return buffer.getvalue()


def words(data: bytes) -> str:
    return " ".join(page_texts(data))


def page_texts(data: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(data)
    try:
        return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    finally:
        doc.close()


def patient(facility) -> Patient:
    n = next(_n)
    return Patient.objects.create(
        facility=facility,
        mrn=f"PK{n:06d}",
        family_name=f"Packfamily{n}",
        given_name="Nora",
        birth_date=dt.date(1966, 2, 3),
        sex="F",
    )


def roi(facility, *, status=ROIRequest.Status.IN_PROCESS, pat=None) -> ROIRequest:
    received = timezone.localdate() - dt.timedelta(days=3)
    requester = Requester.objects.create(
        name=f"Dana Attorney {next(_n)}", type="attorney", address_line="9 Elm St", city="Oak"
    )
    return ROIRequest.objects.create(
        number=f"ROI-2026-{next(_n):06d}",
        facility=facility,
        patient=pat or patient(facility),
        requester=requester,
        received_on=received,
        purpose="legal",
        due_on=received + dt.timedelta(days=30),
        status=status,
    )


def pdf_document(
    request: ROIRequest, pages: list[list[str]] | bytes, *, sensitivity=0, **kw
) -> Document:
    """A PDF document of the request's patient: ``pages`` of lines, or the PDF itself."""
    data = pages if isinstance(pages, bytes) else pdf(pages)
    return document_create(
        patient=request.patient,
        doc_type=kw.pop("doc_type", Document.Type.DISCHARGE_SUMMARY),
        service_date=dt.date(2026, 2, 1),
        user=None,
        title=kw.pop("title", "Summary"),
        sensitivity=sensitivity,
        file=SimpleUploadedFile("doc.pdf", data, content_type="application/pdf"),
    )


def text_document(request: ROIRequest, text: str, **kw) -> Document:
    return document_create(
        patient=request.patient,
        doc_type=kw.pop("doc_type", Document.Type.PROGRESS_NOTE),
        service_date=dt.date(2026, 2, 2),
        user=None,
        title=kw.pop("title", "Note"),
        text=text,
    )


def choose(request: ROIRequest, document: Document, *, pages=(), position=0) -> RequestDocument:
    return RequestDocument.objects.create(
        request=request,
        document=document,
        version=document.versions.order_by("-number").first(),
        pages=list(pages),
        position=position,
    )


def redact(item: RequestDocument, page: int, box=(0.0, 0.0, 1.0, 0.2)) -> Redaction:
    x0, y0, x1, y1 = box
    return Redaction.objects.create(item=item, page=page, x0=x0, y0=y0, x1=x1, y1=y1)
