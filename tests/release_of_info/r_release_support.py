"""Requests in quality check with an approved packet, for the release tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools

import pypdfium2
from django.core.files.base import ContentFile
from django.utils import timezone
from reportlab.pdfgen import canvas

from records.models import Patient
from release_of_info.models import Packet, Requester, ROIRequest

_n = itertools.count(1)


def pdf_with(text: str, pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for page in range(pages):
        c.drawString(72, 720, f"{text} page {page + 1}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def pdf_text(data: bytes) -> str:
    doc = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        return " ".join(text.split())  # lines wrap anywhere: compare words
    finally:
        doc.close()


def patient(facility, **fields) -> Patient:
    n = next(_n)
    values = {
        "facility": facility,
        "mrn": f"RL{n:06d}",
        "family_name": f"Relfamily{n}",
        "given_name": "Iris",
        "birth_date": dt.date(1971, 5, 6),
        "sex": "F",
    }
    values.update(fields)
    return Patient.objects.create(**values)


def requester(kind: str = "attorney", **fields) -> Requester:
    values = {
        "name": f"Law Office {next(_n)}",
        "type": kind,
        "address_line": "1 Court Street",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "email": "records@example.org",
    }
    values.update(fields)
    return Requester.objects.create(**values)


def roi(
    facility,
    *,
    kind: str = "attorney",
    purpose: str = "legal",
    status: str = ROIRequest.Status.QUALITY_CHECK,
    received_on: dt.date | None = None,
    who: Requester | None = None,
    pat: Patient | None = None,
) -> ROIRequest:
    received_on = received_on or timezone.localdate() - dt.timedelta(days=5)
    return ROIRequest.objects.create(
        number=f"ROI-2026-{next(_n):06d}",
        facility=facility,
        patient=pat or patient(facility),
        requester=who or requester(kind),
        received_on=received_on,
        purpose=purpose,
        due_on=received_on + dt.timedelta(days=30),
        status=status,
    )


def packet(
    request: ROIRequest, *, status: str = Packet.Status.APPROVED, text: str = "Discharge summary"
) -> Packet:
    data = pdf_with(text)
    obj = Packet(
        request=request,
        status=status,
        progress=100,
        page_count=2,
        sha256=hashlib.sha256(data).hexdigest(),
        checked_at=timezone.now(),
    )
    obj.file.save("packet.pdf", ContentFile(data), save=False)
    obj.save()
    return obj


def on_court_order(request: ROIRequest, reference: str = "Case 26-CV-0042") -> None:
    """A court order on file: a 164.512 disclosure, no authorization needed."""
    from r_authfees_support import pdf_upload

    from release_of_info.services.authorization import disclosure_basis_record

    disclosure_basis_record(
        request=request,
        user=None,
        basis="court_order",
        reference=reference,
        uploaded=pdf_upload("order.pdf"),
    )
