"""What left the building and how: deliveries, disclosures, the accounting of disclosures.

- ``Delivery``: one way a released packet went out: a secure link (a hashed,
  unguessable token with an expiry, a download limit and an optional passcode)
  or the mail (date, carrier, tracking).
- ``Disclosure``: one entry of a patient's accounting of disclosures (45 CFR
  164.528): written by the release of a non-exempt request, or entered by hand
  for disclosures made outside ROI (public health, law enforcement, ...).
- ``AccountingSuspension``: a health oversight agency's or law enforcement
  official's statement that an accounting would impede their work (164.528(a)(2)).
- ``AccountingRequest``: an individual's request for their accounting, with its
  own clock (60 days, one 30-day extension with notice) and fee rule.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from him.models import Facility, PHIModel
from records.models import Patient

from .packets import Packet
from .requests import ROIRequest

__all__ = ["AccountingRequest", "AccountingSuspension", "Delivery", "Disclosure"]

DEFAULT_LINK_DAYS = 14
DEFAULT_LINK_DOWNLOADS = 3
MAX_PASSCODE_ATTEMPTS = 5
ACCOUNTING_YEARS = 6  # 164.528(a)(1)
ACCOUNTING_DUE_DAYS = 60  # 164.528(c)(1)
ACCOUNTING_EXTENSION_DAYS = 30  # 164.528(c)(1)(ii)
ORAL_SUSPENSION_MAX_DAYS = 30  # 164.528(a)(2)(ii)


class Delivery(PHIModel):
    facility_path = "request__facility"
    patient_path = "request__patient"

    class Method(models.TextChoices):
        SECURE_LINK = "secure_link", "Secure link"
        MAIL = "mail", "Mail"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ROIRequest, on_delete=models.PROTECT, related_name="deliveries")
    packet = models.ForeignKey(Packet, on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField(max_length=12, choices=Method.choices)
    recipient = models.CharField(max_length=300, help_text="Name and address as sent")
    # Secure link: only the SHA-256 of the token is kept; the token is shown once.
    token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    passcode_hash = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_downloads = models.PositiveSmallIntegerField(default=DEFAULT_LINK_DOWNLOADS)
    download_count = models.PositiveSmallIntegerField(default=0)
    failed_passcodes = models.PositiveSmallIntegerField(default=0)
    last_download_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    # Mail.
    mailed_on = models.DateField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(download_count__lte=models.F("max_downloads"))
                | ~models.Q(method="secure_link"),
                name="roi_delivery_downloads_within_limit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} of {self.request}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def has_passcode(self) -> bool:
        return bool(self.passcode_hash)

    def link_state(self, now: dt.datetime) -> str:
        """'' when the link works, else why it does not (for people)."""
        if self.method != self.Method.SECURE_LINK:
            return "not a link"
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        if self.download_count >= self.max_downloads:
            return "download limit reached"
        if self.failed_passcodes >= MAX_PASSCODE_ATTEMPTS:
            return "locked after wrong passcodes"
        return ""


class Disclosure(PHIModel):
    """One accountable disclosure of a patient's PHI."""

    facility_path = "facility"
    patient_path = "patient"

    class Source(models.TextChoices):
        ROI = "roi", "Release of information"
        MANUAL = "manual", "Entered by hand"

    class Basis(models.TextChoices):
        # 164.512 permissions that need no authorization and are accountable.
        REQUIRED_BY_LAW = "required_by_law", "Required by law (164.512(a))"
        PUBLIC_HEALTH = "public_health", "Public health activities (164.512(b))"
        ABUSE_NEGLECT = (
            "abuse_neglect",
            "Victims of abuse, neglect or domestic violence (164.512(c))",
        )
        HEALTH_OVERSIGHT = "health_oversight", "Health oversight (164.512(d))"
        JUDICIAL = "judicial", "Judicial or administrative proceedings (164.512(e))"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement (164.512(f))"
        DECEDENTS = "decedents", "Coroners, medical examiners, funeral directors (164.512(g))"
        ORGAN_DONATION = "organ_donation", "Organ, eye or tissue donation (164.512(h))"
        RESEARCH = "research", "Research without authorization (164.512(i))"
        SERIOUS_THREAT = "serious_threat", "Serious threat to health or safety (164.512(j))"
        WORKERS_COMP = "workers_comp", "Workers' compensation (164.512(l))"
        OTHER = "other", "Other disclosure not exempt from the accounting"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        ROIRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    disclosed_on = models.DateField()
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    description = models.TextField(help_text="What was disclosed")
    purpose = models.TextField(help_text="Why: a brief statement, or a copy of the written request")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-disclosed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "disclosed_on"], name="roi_disclosure_patient")]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(request__isnull=False),
                name="roi_disclosure_one_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient_name} on {self.disclosed_on}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)


class AccountingSuspension(PHIModel):
    """164.528(a)(2): an agency's or official's request to leave its disclosures out for a time."""

    facility_path = "patient__facility"
    patient_path = "patient"

    class Form(models.TextChoices):
        WRITTEN = "written", "Written statement"
        ORAL = "oral", "Oral statement (at most 30 days)"

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="accounting_suspensions"
    )
    agency = models.CharField(
        max_length=200, help_text="The agency or official, as it appears on disclosures"
    )
    official = models.CharField(max_length=200, blank=True, help_text="Who made the statement")
    form = models.CharField(max_length=8, choices=Form.choices, default=Form.WRITTEN)
    reason = models.TextField(help_text="Why an accounting would impede their activities")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="roi_suspension_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Suspension for {self.agency} until {self.ends_on}"

    def active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class AccountingRequest(PHIModel):
    """An individual's request for an accounting of disclosures (164.528(c))."""

    facility_path = "patient__facility"
    patient_path = "patient"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXTENDED = "extended", "Extended"
        PROVIDED = "provided", "Provided"
        WITHDRAWN = "withdrawn", "Withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="accounting_requests"
    )
    requester_name = models.CharField(max_length=200)
    received_on = models.DateField()
    period_start = models.DateField(help_text="Earliest disclosure date asked for (≤ 6 years)")
    due_on = models.DateField()
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extension_notice_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    fee_note = models.CharField(max_length=300, blank=True)
    provided_on = models.DateField(null=True, blank=True)
    entries = models.PositiveIntegerField(null=True, blank=True)
    withheld = models.PositiveIntegerField(
        null=True, blank=True, help_text="Entries left out under a suspension"
    )
    file = models.FileField(upload_to="roi/accountings/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"Accounting request of {self.received_on} for patient {self.patient_id}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def effective_due_on(self) -> dt.date:
        return self.extended_due_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.EXTENDED)
