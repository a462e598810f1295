"""Reads of amendment requests (45 CFR 164.526)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from records.models import AmendmentRequest, Document, Patient
from records.models.amendments import AmendmentRequestQuerySet


def _visible(user) -> AmendmentRequestQuerySet:
    qs = AmendmentRequest.objects.all()
    return qs.visible_to(user) if user is not None else qs


def amendments_for_patient(patient: Patient, user=None) -> AmendmentRequestQuerySet:
    """A patient's requests, newest first, for the chart."""
    return (
        _visible(user)
        .filter(patient=patient)
        .prefetch_related("documents")
        .order_by("-received_on", "-created_at")
    )


def amendments_for_document(document: Document, user=None) -> AmendmentRequestQuerySet:
    """Requests concerning one document (with the denial, disagreement and rebuttal),
    for the document page: the amendment record travels with the document."""
    return _visible(user).filter(documents=document).order_by("-received_on", "-created_at")


def amendment_queue_counts(user, today: dt.date | None = None) -> dict[str, int]:
    """Open, due soon and overdue requests the user can reach (work queue, tile)."""
    today = today or timezone.localdate()
    visible = _visible(user)
    return {
        "open": visible.open().count(),
        "due_soon": visible.due_soon(today).count(),
        "overdue": visible.overdue(today).count(),
    }
