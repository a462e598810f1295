"""Factories and file makers for the documents tests (synthetic data only)."""

from __future__ import annotations

import datetime as dt
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from him.models import Facility
from records.models import Document, Encounter, Patient, Provider
from records.models.providers import npi_with_check_digit
from records.services.documents import document_create


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    facility = factory.Iterator(Facility.objects.all())
    mrn = factory.Sequence(lambda n: f"D{200000 + n}")
    family_name = factory.Sequence(lambda n: f"Docfamily{n}")
    given_name = "Ada"
    birth_date = dt.date(1970, 5, 17)
    sex = Patient.Sex.FEMALE


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    family_name = factory.Sequence(lambda n: f"Surgeon{n}")
    given_name = "Sam"
    credentials = "MD"
    npi = factory.Sequence(lambda n: npi_with_check_digit(f"1{n:08d}"))


def make_encounter(patient: Patient, **kwargs) -> Encounter:
    from django.utils import timezone

    return Encounter.objects.create(
        number=kwargs.pop("number", f"V{patient.pk:06d}"),
        patient=patient,
        facility=patient.facility,
        encounter_class=Encounter.Class.INPATIENT,
        admit_at=timezone.now() - dt.timedelta(days=3),
        **kwargs,
    )


def make_document(facility: Facility, **kwargs) -> Document:
    patient = kwargs.pop("patient", None) or PatientFactory(facility=facility)
    return document_create(
        patient=patient,
        doc_type=kwargs.pop("doc_type", Document.Type.PROGRESS_NOTE),
        service_date=kwargs.pop("service_date", dt.date(2026, 1, 5)),
        user=kwargs.pop("user", None),
        text=kwargs.pop("text", "Progress note: stable, afebrile."),
        **kwargs,
    )


def pdf_bytes(pages: int = 1) -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(612, 792))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def tiff_bytes(pages: int = 2) -> bytes:
    from PIL import Image

    frames = [Image.new("L", (40, 60), color=200 - 50 * i) for i in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), color=(10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# A Windows executable's first bytes, named as a PDF and sent as one.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
