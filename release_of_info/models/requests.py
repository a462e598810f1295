"""Requests for records: who asks, for whom, for what, and where the work stands."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from him.models import Facility, PHIModel
from him.models.policy import PolicyQuerySet
from records.models import Encounter, Patient

DEFAULT_DUE_DAYS = 30  # 45 CFR 164.524(b)(2)
MAX_EXTENSION_DAYS = 30


class Requester(models.Model):
    """A person or organization that asks for records (not PHI by itself)."""

    class Type(models.TextChoices):
        PATIENT = "patient", "Patient"
        REPRESENTATIVE = "representative", "Personal representative"
        ATTORNEY = "attorney", "Attorney"
        PAYER = "payer", "Insurer / payer"
        PROVIDER = "provider", "Other provider"
        GOVERNMENT = "government", "Government agency"
        COURT = "court", "Court / subpoena"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        RESEARCHER = "researcher", "Researcher"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices)
    organization = models.CharField(max_length=200, blank=True)
    address_line = models.CharField("address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    # Not PHI (no facility scope), but read through the same policy: model
    # permissions decide, and ``visible_to`` works as on every PHI model.
    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_type_display()})"

    @classmethod
    def scope_for(cls, queryset, user, action):
        return queryset

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def mailing_address(self) -> str:
        parts = [self.organization, self.address_line]
        city = " ".join(
            p for p in (f"{self.city}," if self.city else "", self.state, self.postal_code) if p
        )
        return "\n".join(p for p in [*parts, city] if p)


class ROIRequest(PHIModel):
    """One request for one patient's records."""

    facility_path = "facility"
    patient_path = "patient"

    class Status(models.TextChoices):
        LOGGED = "logged", "Logged"
        VALIDATING = "validating", "Validating"
        PENDING_AUTHORIZATION = "pending_authorization", "Pending authorization"
        IN_PROCESS = "in_process", "In process"
        QUALITY_CHECK = "quality_check", "Quality check"
        RELEASED = "released", "Released"
        ON_HOLD = "on_hold", "On hold"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"

    CLOSED = (Status.RELEASED, Status.DENIED, Status.CANCELLED)

    class Purpose(models.TextChoices):
        PERSONAL = "personal", "At the request of the individual"
        TREATMENT = "treatment", "Continuing care / treatment"
        PAYMENT = "payment", "Payment / insurance"
        LEGAL = "legal", "Legal"
        DISABILITY = "disability", "Disability / benefits determination"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        PUBLIC_HEALTH = "public_health", "Public health"
        RESEARCH = "research", "Research"
        OTHER = "other", "Other"

    class Format(models.TextChoices):
        ELECTRONIC = "electronic", "Electronic"
        PAPER = "paper", "Paper"

    class Delivery(models.TextChoices):
        SECURE_LINK = "secure_link", "Secure link"
        MAIL = "mail", "Mail"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, help_text="ROI-2026-000123")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="roi_requests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="roi_requests")
    requester = models.ForeignKey(Requester, on_delete=models.PROTECT, related_name="requests")
    received_on = models.DateField()
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    purpose_detail = models.CharField(max_length=200, blank=True)
    # What is asked: document types (empty: all), a date range, encounters (empty: all).
    document_types = models.JSONField(default=list, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    encounters = models.ManyToManyField(Encounter, blank=True, related_name="roi_requests")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.ELECTRONIC)
    delivery = models.CharField(
        max_length=12, choices=Delivery.choices, default=Delivery.SECURE_LINK
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.LOGGED)
    status_reason = models.TextField(blank=True, help_text="Why on hold, denied or cancelled")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="roi_assignments",
    )
    due_on = models.DateField()
    # One extension (164.524(b)(2)(ii)), with the written notice sent before the first due date.
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extension_notice_on = models.DateField(null=True, blank=True)
    # Right of access and treatment disclosures need no authorization; identity is verified.
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_method = models.CharField(max_length=120, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["due_on", "number"]
        permissions = [
            ("approve_roirequest", "Can approve a packet in quality check"),
            ("release_roirequest", "Can release records"),
            ("deny_roirequest", "Can deny a request"),
            ("manage_fees", "Can manage the ROI fee schedule"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="roi_request_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__isnull=True)
                | models.Q(date_from__isnull=True)
                | models.Q(date_to__gte=models.F("date_from")),
                name="roi_request_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def public_ref(self) -> str:
        """How the trail and the API name a request (never the row id)."""
        return str(self.public_id)

    @property
    def is_right_of_access(self) -> bool:
        """The patient (or their personal representative) asking for their own records."""
        return self.requester.type in (Requester.Type.PATIENT, Requester.Type.REPRESENTATIVE) and (
            self.purpose == self.Purpose.PERSONAL
        )

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED

    @property
    def effective_due_on(self) -> dt.date:
        return self.extended_due_on or self.due_on


class ROIFacilitySettings(models.Model):
    """A facility's own release-of-information rules (set by the HIM manager).

    Some states give the covered entity less time than HIPAA's 30 days; the
    shorter limit wins for requests received at that facility.
    """

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, related_name="roi_settings", primary_key=True
    )
    due_days = models.PositiveSmallIntegerField(
        "days to respond",
        default=DEFAULT_DUE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(DEFAULT_DUE_DAYS)],
        help_text="Calendar days after receipt; at most 30 (45 CFR 164.524(b)(2)).",
    )
    legal_basis = models.CharField(
        max_length=200,
        blank=True,
        help_text="The state law that sets a shorter limit, if any (shown on the request page).",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()
    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "ROI facility settings"
        verbose_name_plural = "ROI facility settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_days__gte=1) & models.Q(due_days__lte=DEFAULT_DUE_DAYS),
                name="roi_settings_due_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility}: {self.due_days} days"

    @classmethod
    def scope_for(cls, queryset, user, action):
        from him import policy

        return queryset.filter(facility__in=policy.facility_ids(user))


class ROINumberSequence(models.Model):
    """The last request number used in a year; a locked row numbers requests one at a time."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def letter_path(instance: RequestLetter, filename: str) -> str:
    return f"roi/letters/{instance.roi.public_id}/{filename}"


class RequestLetter(PHIModel):
    """A letter produced for a request (extension notice, denial), kept as sent."""

    facility_path = "roi__facility"
    patient_path = "roi__patient"

    class Kind(models.TextChoices):
        EXTENSION_NOTICE = "extension_notice", "Extension notice"
        DENIAL = "denial", "Denial letter"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    roi = models.ForeignKey(ROIRequest, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=letter_path)
    dated = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.roi.number}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def filename(self) -> str:
        return f"{self.roi.number}-{self.kind.replace('_', '-')}.pdf"


__all__ = [
    "DEFAULT_DUE_DAYS",
    "MAX_EXTENSION_DAYS",
    "ROIFacilitySettings",
    "ROINumberSequence",
    "ROIRequest",
    "RequestLetter",
    "Requester",
]
