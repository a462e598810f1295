"""Test support of the r-requests slice: synthetic patients, requesters and requests."""

from __future__ import annotations

import datetime as dt
import io

import factory
import pypdfium2
from django.utils import timezone

from him.models import Facility
from records.models import Encounter, Patient
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests as services

TODAY = timezone.localdate()


class RoiPatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    facility = factory.Iterator(Facility.objects.all())
    mrn = factory.Sequence(lambda n: f"R{300000 + n}")
    family_name = factory.Sequence(lambda n: f"Reqfam{n}")
    given_name = "Rhea"
    birth_date = dt.date(1968, 3, 9)
    sex = Patient.Sex.FEMALE


class RequesterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requester

    name = factory.Sequence(lambda n: f"Requester {n}")
    type = Requester.Type.ATTORNEY
    organization = "Synthetic & Partners"
    address_line = "1 Test Plaza"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"


def make_encounter(patient: Patient, number: str = "") -> Encounter:
    return Encounter.objects.create(
        number=number or f"V{Encounter.objects.count() + 1000}",
        patient=patient,
        facility=patient.facility,
        encounter_class=Encounter.Class.INPATIENT,
        admit_at=timezone.now() - dt.timedelta(days=90),
    )


def make_request(
    *,
    facility: Facility | None = None,
    patient: Patient | None = None,
    requester: Requester | None = None,
    received_on: dt.date | None = None,
    purpose: str = ROIRequest.Purpose.LEGAL,
    user=None,
    **kwargs,
) -> ROIRequest:
    patient = patient or RoiPatientFactory(facility=facility)
    return services.roi_request_create(
        patient=patient,
        requester=requester or RequesterFactory(),
        received_on=received_on or TODAY - dt.timedelta(days=3),
        purpose=purpose,
        user=user,
        **kwargs,
    )


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, pages joined (pypdfium2)."""
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def squash(text: str) -> str:
    """Whitespace folded, so words wrapped over lines still match."""
    return " ".join(text.split())
