"""Transcription: a dictated report typed from a template into a draft document,
then routed to its author's signature queue."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from records.models import Document, Encounter, Patient, Provider, TranscriptionTemplate
from records.services.documents import document_create, document_route_for_signature


def transcription_template_for(doc_type: str) -> TranscriptionTemplate | None:
    return TranscriptionTemplate.objects.filter(doc_type=doc_type, active=True).first()


@transaction.atomic
def transcription_create(
    *,
    patient: Patient,
    doc_type: str,
    author: Provider,
    service_date: dt.date,
    user,
    text: str = "",
    encounter: Encounter | None = None,
    title: str = "",
    route: bool = False,
) -> Document:
    """Save a transcribed report as a draft; ``route`` sends it to the author at once.

    An empty text starts from the type's template.
    """
    if author is None:
        raise ValidationError({"author": "Choose the dictating author."})
    if not text.strip():
        template = transcription_template_for(doc_type)
        text = template.body if template else ""
    document = document_create(
        patient=patient,
        encounter=encounter,
        doc_type=doc_type,
        service_date=service_date,
        author=author,
        title=title,
        text=text,
        user=user,
        status=Document.Status.DRAFT,
    )
    if route:
        document = document_route_for_signature(document=document, user=user)
    return document
