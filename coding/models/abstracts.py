"""The coding of an encounter: its diagnoses, procedures and service lines.

One ``EncounterCoding`` per encounter holds the state of the work (draft,
final), who is coding it, the working and final DRG, and why it waits.
Lines are ordered by ``sequence``; for an inpatient stay the first diagnosis
is the principal diagnosis, for an outpatient visit the first listed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from him.models import PHIModel
from records.models import Encounter, Provider

MAX_DIAGNOSES = 25  # principal + 24 secondary (UB-04 / 837I)
MAX_PROCEDURES = 25


class EncounterCoding(PHIModel):
    facility_path = "encounter__facility"
    patient_path = "encounter__patient"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"

    class Pending(models.TextChoices):
        NONE = "", "None"
        DOCUMENTATION = "documentation", "Awaiting documentation"
        QUERY = "query", "Query outstanding"
        DEFICIENCY = "deficiency", "Deficiency open"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="coding")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    assigned_coder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coding_assignments",
    )
    pending_reason = models.CharField(max_length=16, choices=Pending.choices, blank=True)
    admitting_dx = models.CharField("admitting diagnosis", max_length=8, blank=True)
    reason_for_visit = models.CharField(max_length=8, blank=True)
    # The DRG as of the last grouping (working) and as finalized (final).
    grouper_version = models.PositiveSmallIntegerField(null=True, blank=True)
    working_drg = models.CharField(max_length=3, blank=True)
    working_mdc = models.CharField(max_length=3, blank=True)
    working_weight = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    final_drg = models.CharField(max_length=3, blank=True)
    final_weight = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    grouped_at = models.DateTimeField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["encounter__discharge_at"]
        permissions = [
            ("finalize_encountercoding", "Can finalize and reopen an encounter's codes"),
            ("assign_encountercoding", "Can assign charts to coders"),
        ]
        indexes = [models.Index(fields=["status", "assigned_coder"], name="coding_ec_status")]

    def __str__(self) -> str:
        return f"Coding of {self.encounter}"

    @property
    def public_ref(self) -> str:
        """How the trail names it: the id the API uses."""
        return str(self.public_id)

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL


class _Line(PHIModel):
    facility_path = "coding__encounter__facility"
    patient_path = "coding__encounter__patient"

    sequence = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8, help_text="Without the dot")

    class Meta:
        abstract = True
        ordering = ["coding", "sequence"]


class DiagnosisLine(_Line):
    class POA(models.TextChoices):
        YES = "Y", "Y: present at the time of inpatient admission"
        NO = "N", "N: not present at the time of inpatient admission"
        UNKNOWN = "U", "U: documentation insufficient to determine"
        CLINICALLY_UNDETERMINED = "W", "W: clinically undetermined"
        EXEMPT = "1", "1: exempt from POA reporting"

    coding = models.ForeignKey(EncounterCoding, on_delete=models.CASCADE, related_name="diagnoses")
    poa = models.CharField("POA", max_length=1, choices=POA.choices, blank=True)

    history = HistoricalRecords()

    class Meta(_Line.Meta):
        constraints = [
            models.UniqueConstraint(fields=["coding", "sequence"], name="coding_dx_seq_unique"),
        ]


class ProcedureLine(_Line):
    """An ICD-10-PCS procedure of an inpatient stay."""

    coding = models.ForeignKey(EncounterCoding, on_delete=models.CASCADE, related_name="procedures")
    performed_on = models.DateField(null=True, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta(_Line.Meta):
        constraints = [
            models.UniqueConstraint(fields=["coding", "sequence"], name="coding_px_seq_unique"),
        ]


class ServiceLine(_Line):
    """A CPT/HCPCS line of an outpatient visit."""

    coding = models.ForeignKey(EncounterCoding, on_delete=models.CASCADE, related_name="services")
    modifiers = models.CharField(max_length=20, blank=True, help_text="Up to 4, comma-separated")
    units = models.PositiveIntegerField(default=1)
    diagnosis_pointers = models.CharField(
        max_length=12, blank=True, help_text="Sequences of the diagnoses it is for, e.g. 1,3"
    )
    service_date = models.DateField(null=True, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta(_Line.Meta):
        constraints = [
            models.UniqueConstraint(fields=["coding", "sequence"], name="coding_svc_seq_unique"),
        ]
