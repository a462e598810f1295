"""Document work around the core models: transcription templates, scanning
intake, and the why of each document status change (entered in error, routed
for signature)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from him.models import Facility, PHIModel

from .documents import Document


class TranscriptionTemplate(models.Model):
    """A starting text for a dictated report of one type, with its section headings."""

    doc_type = models.CharField("type", max_length=20, choices=Document.Type.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Section headings the transcriptionist fills in")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["doc_type", "title"]
        permissions = [("transcribe", "Can transcribe dictated reports")]

    def __str__(self) -> str:
        return self.title


class ScanUpload(PHIModel):
    """One scanned file waiting to be indexed to a patient's record.

    Until indexed it belongs to no patient, only to the facility that scanned
    it; indexing files a Document whose first version holds this file.
    """

    class Status(models.TextChoices):
        UNINDEXED = "unindexed", "Unindexed"
        INDEXED = "indexed", "Indexed"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="scan_uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="scans/%Y/%m/")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=1)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNINDEXED)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="scan_uploads"
    )
    reject_reason = models.TextField(blank=True)
    indexed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    indexed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    facility_path = "facility"
    patient_path = "document__patient"

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["facility", "status"], name="records_scan_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)


class DocumentStatusChange(models.Model):
    """Who moved a document to which status, when and why (kept with the document)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Document.Status.choices)
    to_status = models.CharField(max_length=20, choices=Document.Status.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.document}: {self.from_status} -> {self.to_status}"
