"""Authorizations (45 CFR 164.508, 42 CFR 2.31), other bases for a disclosure
(45 CFR 164.512), fee policies and schedules, and invoices.

The signed authorization form is stored on the ``Authorization`` row itself
(a FileField), not as a records ``Document``: it is an administrative record of
the disclosure, not part of the legal health record, and as a chart document it
would show in the chart and could be picked into a release packet. It is served
only by the authorization's own download view/endpoint (policy + trail).
Validity is never stored: ``release_of_info.services.authorization.verdict``
computes it from these elements every time it is asked.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from him.models import Facility, PHIModel
from records.models import Encounter

from .requests import Requester, ROIRequest

__all__ = [
    "Authorization",
    "DisclosureBasis",
    "FeePolicy",
    "FeeSchedule",
    "Invoice",
]

Purpose = ROIRequest.Purpose


class Authorization(PHIModel):
    """A signed authorization (or a 42 CFR Part 2 consent) filed for one request."""

    facility_path = "request__facility"
    patient_path = "request__patient"

    class Kind(models.TextChoices):
        STANDARD = "standard", "Authorization (45 CFR 164.508)"
        PSYCHOTHERAPY = "psychotherapy", "Psychotherapy notes authorization (164.508(a)(2))"
        PART2 = "part2", "42 CFR Part 2 consent (2.31)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ROIRequest, on_delete=models.CASCADE, related_name="authorizations")
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.STANDARD)

    # The signed form (PDF or image), checked by content (records.files).
    file = models.FileField(upload_to="roi/authorizations/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    # Core elements, 164.508(c)(1).
    description = models.TextField(
        "information to be disclosed",
        blank=True,
        help_text="A specific and meaningful description of the information",
    )
    disclosing_party = models.CharField(
        "who may disclose", max_length=200, blank=True, help_text="Person(s) or organization(s)"
    )
    recipient_name = models.CharField(
        "recipient(s)",
        max_length=300,
        blank=True,
        help_text="Person(s) or organization(s) to whom the disclosure may be made",
    )
    recipient = models.ForeignKey(
        Requester,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The requester the form names, when it is one on file",
    )
    purpose = models.CharField(
        max_length=20,
        choices=Purpose.choices,
        blank=True,
        help_text="“At the request of the individual” is enough when the patient asks",
    )
    purpose_detail = models.CharField(max_length=200, blank=True)
    expires_on = models.DateField("expiration date", null=True, blank=True)
    expiration_event = models.CharField(
        max_length=200, blank=True, help_text="An event that ends it (e.g. end of the claim)"
    )
    expiration_event_on = models.DateField("expiration event occurred on", null=True, blank=True)
    signed_by_name = models.CharField("signed by", max_length=200, blank=True)
    signed_on = models.DateField("signature date", null=True, blank=True)
    signed_by_representative = models.BooleanField(default=False)
    representative_authority = models.CharField(
        "representative's authority",
        max_length=200,
        blank=True,
        help_text="e.g. parent of a minor, health care power of attorney, executor",
    )

    # Required statements, 164.508(c)(2).
    states_right_to_revoke = models.BooleanField(
        "states the right to revoke in writing (and how)", default=False
    )
    states_conditioning = models.BooleanField(
        "states whether treatment, payment, enrollment or eligibility is conditioned on signing",
        default=False,
    )
    states_redisclosure = models.BooleanField(
        "states that disclosed information may be redisclosed and no longer protected",
        default=False,
    )

    # What it covers: empty document types = every type; no dates = any date;
    # no encounters = every encounter.
    document_types = models.JSONField(default=list, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    encounters = models.ManyToManyField(Encounter, blank=True, related_name="+")
    categories = models.PositiveIntegerField(
        default=0,
        help_text="Bits of records.Sensitivity the form names explicitly (HIV, genetic...)",
    )

    # 42 CFR 2.31 elements that a HIPAA authorization does not already hold.
    part2_program = models.CharField(
        "Part 2 program permitted to disclose", max_length=200, blank=True
    )
    part2_description = models.TextField(
        "explicit description of the substance use disorder information", blank=True
    )

    revoked_on = models.DateField(null=True, blank=True)
    revocation_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_received_at = models.DateTimeField(null=True, blank=True)
    revocation_note = models.CharField(max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-signed_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__isnull=True)
                | models.Q(date_from__isnull=True)
                | models.Q(date_to__gte=models.F("date_from")),
                name="roi_authorization_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        signed = f" signed {self.signed_on:%Y-%m-%d}" if self.signed_on else ""
        return f"{self.get_kind_display()}{signed}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)


class DisclosureBasis(PHIModel):
    """Why a request needs no authorization: a disclosure 45 CFR 164.512 permits."""

    facility_path = "request__facility"
    patient_path = "request__patient"

    class Basis(models.TextChoices):
        REQUIRED_BY_LAW = "required_by_law", "Required by law (164.512(a))"
        PUBLIC_HEALTH = "public_health", "Public health activity (164.512(b))"
        ABUSE_NEGLECT = "abuse_neglect", "Victim of abuse, neglect or violence (164.512(c))"
        HEALTH_OVERSIGHT = "health_oversight", "Health oversight (164.512(d))"
        COURT_ORDER = "court_order", "Court or administrative order (164.512(e)(1)(i))"
        SUBPOENA = "subpoena", "Subpoena with satisfactory assurances (164.512(e)(1)(ii))"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement with required process (164.512(f))"
        CORONER = "coroner", "Coroner, medical examiner, funeral director (164.512(g))"
        ORGAN_DONATION = "organ_donation", "Organ and tissue donation (164.512(h))"
        RESEARCH_WAIVER = "research_waiver", "Research with IRB / privacy board waiver (164.512(i))"
        SERIOUS_THREAT = "serious_threat", "Serious threat to health or safety (164.512(j))"
        GOVERNMENT = "government", "Specialized government functions (164.512(k))"
        WORKERS_COMP = "workers_comp", "Workers' compensation (164.512(l))"

    # Bases that rest on a written instrument: the copy of it must be on file.
    NEEDS_DOCUMENT = frozenset(
        {Basis.COURT_ORDER, Basis.SUBPOENA, Basis.LAW_ENFORCEMENT, Basis.RESEARCH_WAIVER}
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(
        ROIRequest, on_delete=models.CASCADE, related_name="disclosure_basis"
    )
    basis = models.CharField(max_length=20, choices=Basis.choices)
    reference = models.CharField(
        max_length=200, blank=True, help_text="Docket, case or protocol number, agency"
    )
    note = models.TextField(blank=True)
    file = models.FileField(upload_to="roi/bases/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.get_basis_display()

    @property
    def public_ref(self) -> str:
        return str(self.public_id)


class FeePolicy(PHIModel):
    """How a facility charges patients for their own records (45 CFR 164.524(c)(4)).

    Only labour for copying, supplies and postage may be charged; there is no
    field for a search or retrieval fee on purpose.
    """

    facility_path = "facility"

    class Method(models.TextChoices):
        COST_BASED = "cost_based", "Cost-based (labour, supplies, postage)"
        FLAT = "flat", "Flat fee for electronic copies"

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="roi_fees")
    access_method = models.CharField(
        max_length=12, choices=Method.choices, default=Method.COST_BASED
    )
    flat_fee = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("6.50"))
    labor_per_page = models.DecimalField(
        "labour for copying, per page", max_digits=8, decimal_places=2, default=Decimal("0.10")
    )
    paper_per_page = models.DecimalField(
        "paper and toner, per page", max_digits=8, decimal_places=2, default=Decimal("0.05")
    )
    media_fee = models.DecimalField(
        "portable media (CD, USB) for mailed electronic copies",
        max_digits=8,
        decimal_places=2,
        default=Decimal("2.00"),
    )
    postage = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1.50"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fee policies"

    def __str__(self) -> str:
        return f"{self.facility}: {self.get_access_method_display()}"


class FeeSchedule(PHIModel):
    """What a facility charges one type of requester (not the patient's own access)."""

    facility_path = "facility"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="roi_schedules")
    requester_type = models.CharField(max_length=20, choices=Requester.Type.choices)
    base_fee = models.DecimalField(
        "base fee (search, retrieval, handling)",
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
    )
    per_page = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    postage = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # Optional tiers: [{"up_to": 20, "per_page": "1.00"}, {"up_to": null, "per_page": "0.50"}].
    tiers = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility", "requester_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "requester_type"], name="roi_feeschedule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility.code}: {self.get_requester_type_display()}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)


class Invoice(PHIModel):
    """The fee for one request, made when the packet is built."""

    facility_path = "request__facility"
    patient_path = "request__patient"

    class Status(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=24, unique=True)
    request = models.OneToOneField(ROIRequest, on_delete=models.PROTECT, related_name="invoice")
    pages = models.PositiveIntegerField(default=0)
    lines = models.JSONField(default=list, blank=True, help_text='[{"label", "amount"}]')
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UNPAID)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True, help_text="Why waived")
    payment_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="waived") | ~models.Q(status_reason=""),
                name="roi_invoice_waiver_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def public_ref(self) -> str:
        return str(self.public_id)
