"""Requests to amend the record (HIPAA, 45 CFR 164.526).

A request names the patient's documents concerned and the change asked for.
The covered entity acts on it within 60 days of receipt, or within one 30-day
extension given in writing before the first deadline. Accepting appends an
amendment version to each document; denying sends a letter stating the basis
and the individual's rights. A denied individual may file a statement of
disagreement, which the covered entity may answer with a rebuttal; all of it
stays with the record.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from him.models import PHIModel
from him.models.policy import PolicyQuerySet

from .documents import Document
from .patients import Patient

RESPONSE_DAYS = 60  # 164.526(b)(2)
EXTENSION_DAYS = 30  # 164.526(b)(2)(ii): once
DUE_SOON_DAYS = 14  # the work queue's "due soon" window


class AmendmentRequestQuerySet(PolicyQuerySet):
    def with_deadline(self) -> AmendmentRequestQuerySet:
        """Annotate ``effective_due``: the extended due date when there is one, else the first."""
        return self.annotate(effective_due=Coalesce("extended_due_on", "due_on"))

    def open(self) -> AmendmentRequestQuerySet:
        """Not yet decided nor withdrawn."""
        return self.filter(status__in=AmendmentRequest.OPEN_STATUSES)

    def overdue(self, today: dt.date | None = None) -> AmendmentRequestQuerySet:
        today = today or timezone.localdate()
        return self.open().with_deadline().filter(effective_due__lt=today)

    def due_soon(
        self, today: dt.date | None = None, days: int = DUE_SOON_DAYS
    ) -> AmendmentRequestQuerySet:
        today = today or timezone.localdate()
        return (
            self.open()
            .with_deadline()
            .filter(effective_due__gte=today, effective_due__lte=today + dt.timedelta(days=days))
        )


def letter_path(instance: AmendmentRequest, filename: str) -> str:
    # One name per request and kind: a regenerated letter never leaves two.
    return f"amendments/{instance.public_id}/{filename}"


class AmendmentRequest(PHIModel):
    """One request from an individual to amend their record."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        EXTENDED = "extended", "Extended"
        ACCEPTED = "accepted", "Accepted"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DenialBasis(models.TextChoices):
        # 164.526(a)(2)(i)-(iv), in the rule's order.
        NOT_CREATED_HERE = (
            "not_created",
            "Not created by us (and the originator is still available to act on it)",
        )
        NOT_IN_RECORD_SET = "not_record_set", "Not part of the designated record set"
        NOT_AVAILABLE_FOR_INSPECTION = (
            "not_inspectable",
            "Not available for inspection under 45 CFR 164.524",
        )
        ACCURATE_COMPLETE = "accurate_complete", "Accurate and complete"

    OPEN_STATUSES = (Status.RECEIVED, Status.EXTENDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="amendment_requests"
    )
    documents = models.ManyToManyField(
        Document, related_name="amendment_requests", help_text="The records concerned"
    )
    requested_change = models.TextField(help_text="The change the individual asks for, and why")
    requester_name = models.CharField(max_length=200)
    requester_relationship = models.CharField(
        max_length=100, default="Self", help_text="Self, or the personal representative's role"
    )
    received_on = models.DateField()
    due_on = models.DateField(help_text="Received date + 60 days")
    extended_due_on = models.DateField(null=True, blank=True)
    extension_notice_on = models.DateField(
        null=True, blank=True, help_text="Date the written extension notice was sent"
    )
    extension_reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    denial_basis = models.CharField(max_length=20, choices=DenialBasis.choices, blank=True)
    denial_explanation = models.TextField(blank=True)
    denial_letter = models.FileField(upload_to=letter_path, blank=True)
    acceptance_notice = models.FileField(upload_to=letter_path, blank=True)
    notify_persons = models.TextField(
        blank=True,
        help_text="Persons the individual names to be told of the amendment (one a line)",
    )
    disagreement_statement = models.TextField(blank=True)
    disagreement_received_on = models.DateField(null=True, blank=True)
    rebuttal_statement = models.TextField(blank=True)
    rebuttal_on = models.DateField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AmendmentRequestQuerySet.as_manager()

    facility_path = "patient__facility"
    patient_path = "patient"

    class Meta:
        ordering = ["due_on", "received_on"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="records_amend_queue_idx"),
        ]
        permissions = [("decide_amendment", "Can accept or deny amendment requests")]

    def __str__(self) -> str:
        return f"Amendment request {self.short_ref} ({self.get_status_display()})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def short_ref(self) -> str:
        return str(self.public_id)[:8].upper()

    @property
    def deadline(self) -> dt.date:
        return self.extended_due_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and (today or timezone.localdate()) > self.deadline

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.deadline - (today or timezone.localdate())).days

    @property
    def can_extend(self) -> bool:
        return self.status == self.Status.RECEIVED

    @property
    def can_record_disagreement(self) -> bool:
        return self.status == self.Status.DENIED and not self.disagreement_statement

    @property
    def can_record_rebuttal(self) -> bool:
        return bool(self.disagreement_statement) and not self.rebuttal_statement
