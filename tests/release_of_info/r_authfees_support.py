"""Requests, authorizations and documents for the authfees tests, built directly
(the requests part's own factories are not on this branch). Synthetic data only."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from records.models import Document, DocumentVersion, Encounter, Patient
from release_of_info.models import Authorization, RequestDocument, Requester, ROIRequest

_seq = itertools.count(1)
# The real today: the hooks (as the packet and release parts call them) use it.
TODAY = timezone.localdate()


def pdf_bytes(pages: int = 1) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(612, 792))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_upload(name: str = "signed.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages), content_type="application/pdf")


def make_patient(facility, **kwargs) -> Patient:
    n = next(_seq)
    defaults = {
        "facility": facility,
        "mrn": f"AF{n:06d}",
        "family_name": f"Authfam{n}",
        "given_name": "Nora",
        "birth_date": dt.date(1980, 3, 2),
    }
    defaults.update(kwargs)
    return Patient.objects.create(**defaults)


def make_encounter(patient: Patient, number: str = "") -> Encounter:
    return Encounter.objects.create(
        number=number or f"AFV{next(_seq):06d}",
        patient=patient,
        facility=patient.facility,
        encounter_class=Encounter.Class.OUTPATIENT,
        admit_at=timezone.now() - dt.timedelta(days=30),
    )


def make_document(
    patient: Patient,
    *,
    doc_type: str = Document.Type.DISCHARGE_SUMMARY,
    service_date: dt.date = dt.date(2026, 1, 10),
    sensitivity: int = 0,
    encounter: Encounter | None = None,
    pages: int = 2,
) -> Document:
    document = Document.objects.create(
        patient=patient,
        facility=patient.facility,
        encounter=encounter,
        doc_type=doc_type,
        service_date=service_date,
        sensitivity=sensitivity,
        status=Document.Status.SIGNED,
    )
    version = DocumentVersion.objects.create(
        document=document, number=1, text="Synthetic text.", page_count=pages
    )
    document.current_version = version
    document.save(update_fields=["current_version"])
    return document


def pick(roi: ROIRequest, *documents: Document) -> None:
    """Choose documents for the request's packet (what the packet part does)."""
    for document in documents:
        RequestDocument.objects.create(
            request=roi, document=document, version=document.current_version
        )


def make_requester(rtype: str = Requester.Type.ATTORNEY, **kwargs) -> Requester:
    defaults = {"name": f"Requester {next(_seq)}", "type": rtype, "organization": "Synthetic LLP"}
    defaults.update(kwargs)
    return Requester.objects.create(**defaults)


def make_request(facility, *, patient=None, requester=None, **kwargs) -> ROIRequest:
    patient = patient or make_patient(facility)
    requester = requester or make_requester()
    n = next(_seq)
    defaults = {
        "number": f"ROI-T-{n:06d}",
        "facility": facility,
        "patient": patient,
        "requester": requester,
        "received_on": TODAY - dt.timedelta(days=3),
        "due_on": TODAY + dt.timedelta(days=27),
        "purpose": ROIRequest.Purpose.LEGAL,
    }
    defaults.update(kwargs)
    return ROIRequest.objects.create(**defaults)


def access_request(facility, **kwargs) -> ROIRequest:
    requester = make_requester(Requester.Type.PATIENT, name="Nora Self", organization="")
    return make_request(
        facility, requester=requester, purpose=ROIRequest.Purpose.PERSONAL, **kwargs
    )


def complete_authorization(roi: ROIRequest, **kwargs) -> Authorization:
    """An authorization with every element, valid on TODAY, unless kwargs say otherwise."""
    encounters = kwargs.pop("encounters", None)
    data = {
        "request": roi,
        "kind": Authorization.Kind.STANDARD,
        "description": "Discharge summaries of 2026",
        "disclosing_party": "In-scope Hospital",
        "recipient_name": roi.requester.name,
        "purpose": roi.purpose,
        "expires_on": TODAY + dt.timedelta(days=90),
        "signed_by_name": "Nora Authfam",
        "signed_on": TODAY - dt.timedelta(days=10),
        "states_right_to_revoke": True,
        "states_conditioning": True,
        "states_redisclosure": True,
        "file_name": "signed.pdf",
        "content_type": "application/pdf",
    }
    data.update(kwargs)
    with_file = data.pop("with_file", True)
    auth = Authorization(**data)
    if with_file:
        auth.file.save("signed.pdf", ContentFile(pdf_bytes()), save=False)
    auth.save()
    if encounters:
        auth.encounters.set(encounters)
    return auth
