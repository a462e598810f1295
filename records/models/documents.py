from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from him.models import Facility, PHIModel

from .encounters import Encounter
from .patients import Patient
from .providers import Provider


class Sensitivity(models.IntegerChoices):
    """Sensitive categories, as bits of ``Document.sensitivity``.

    A document with any bit set needs a grant for each of its categories (a
    per-category permission) or a grant on the document itself.
    """

    PART2 = 1, "42 CFR Part 2 substance use disorder"
    PSYCHOTHERAPY = 2, "Psychotherapy note"
    HIV = 4, "HIV / AIDS"
    GENETIC = 8, "Genetic"
    BEHAVIORAL = 16, "Behavioral health"
    REPRODUCTIVE = 32, "Reproductive health"


# Model permission that unlocks each category everywhere the user reaches.
CATEGORY_PERMISSIONS = {
    Sensitivity.PART2: "view_part2_documents",
    Sensitivity.PSYCHOTHERAPY: "view_psychotherapy_documents",
    Sensitivity.HIV: "view_hiv_documents",
    Sensitivity.GENETIC: "view_genetic_documents",
    Sensitivity.BEHAVIORAL: "view_behavioral_documents",
    Sensitivity.REPRODUCTIVE: "view_reproductive_documents",
}


def sensitivity_labels(mask: int) -> list[str]:
    return [c.label for c in Sensitivity if mask & c.value]


class Document(PHIModel):
    """A document in the legal health record, with its versions.

    A signed document is never edited in place: a correction, addendum or
    amendment is a new ``DocumentVersion``; the document points at its
    current one and every earlier one stays readable. "Entered in error" hides
    a document from normal views but keeps it.
    """

    class Type(models.TextChoices):
        HISTORY_PHYSICAL = "hp", "History and physical"
        PROGRESS_NOTE = "progress", "Progress note"
        CONSULT = "consult", "Consultation"
        OPERATIVE_REPORT = "operative", "Operative report"
        DISCHARGE_SUMMARY = "discharge", "Discharge summary"
        PATHOLOGY = "pathology", "Pathology report"
        LAB = "lab", "Laboratory result"
        IMAGING = "imaging", "Imaging report"
        CONSENT = "consent", "Consent"
        AUTHORIZATION = "authorization", "Authorization"
        CORRESPONDENCE = "correspondence", "Correspondence"
        TRANSCRIBED = "transcribed", "Transcribed report"
        OUTSIDE_RECORD = "outside", "Scanned outside record"
        AMENDMENT = "amendment", "Amendment"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_SIGNATURE = "pending_signature", "Pending signature"
        SIGNED = "signed", "Signed"
        AMENDED = "amended", "Amended"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField("type", max_length=20, choices=Type.choices)
    title = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="authored"
    )
    service_date = models.DateField()
    sensitivity = models.PositiveIntegerField(
        default=0, help_text="Bits of Sensitivity: the categories that need a grant"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    facility_path = "facility"
    patient_path = "patient"

    class Meta:
        ordering = ["-service_date", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "service_date"], name="records_doc_patient_idx"),
            models.Index(fields=["encounter", "doc_type"], name="records_doc_encounter_idx"),
        ]
        permissions = [
            ("view_part2_documents", "Can see 42 CFR Part 2 documents"),
            ("view_psychotherapy_documents", "Can see psychotherapy notes"),
            ("view_hiv_documents", "Can see HIV documents"),
            ("view_genetic_documents", "Can see genetic documents"),
            ("view_behavioral_documents", "Can see behavioral health documents"),
            ("view_reproductive_documents", "Can see reproductive health documents"),
            ("view_sensitive_document", "Can see this sensitive document"),
            ("sign_document", "Can sign documents"),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.service_date:%Y-%m-%d}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def sensitivity_labels(self) -> list[str]:
        return sensitivity_labels(self.sensitivity)


class DocumentVersion(models.Model):
    """One immutable version of a document: text and/or a file, with who/when/why."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        CORRECTION = "correction", "Correction"
        ADDENDUM = "addendum", "Addendum"
        AMENDMENT = "amendment", "Amendment (HIPAA 164.526)"

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ORIGINAL)
    text = models.TextField(blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True, help_text="Why this version was made")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="signed_versions"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="records_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"
