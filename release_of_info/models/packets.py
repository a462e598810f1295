"""What goes into a release: the documents chosen, the areas blacked out, the packet built."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from him.models import PHIModel
from records.models import Document, DocumentVersion

from .requests import ROIRequest


class RequestDocument(PHIModel):
    """A document of the patient's chart considered for a request.

    ``pages`` empty means every page; otherwise the 1-based page numbers to send.
    A document left out keeps its row with ``included`` false and the reason, so
    the quality check sees what was held back and why.
    """

    facility_path = "request__facility"
    patient_path = "request__patient"

    request = models.ForeignKey(ROIRequest, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    # The version chosen (the current one when it was picked): what is released is fixed.
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    pages = models.JSONField(default=list, blank=True)
    included = models.BooleanField(default=True)
    excluded_reason = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "document"], name="roi_reqdoc_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.request} / {self.document}"


class Redaction(PHIModel):
    """An area of one page to remove from the packet (true redaction, not a cover).

    Coordinates are fractions of the page (0..1, origin top left), so they hold
    whatever size the page is rendered at.
    """

    facility_path = "item__request__facility"
    patient_path = "item__request__patient"

    item = models.ForeignKey(RequestDocument, on_delete=models.CASCADE, related_name="redactions")
    page = models.PositiveIntegerField(help_text="1-based page of the document")
    x0 = models.FloatField()
    y0 = models.FloatField()
    x1 = models.FloatField()
    y1 = models.FloatField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "page", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(x0__gte=0, y0__gte=0, x1__lte=1, y1__lte=1)
                & models.Q(x1__gt=models.F("x0"), y1__gt=models.F("y0")),
                name="roi_redaction_box",
            )
        ]

    def __str__(self) -> str:
        return f"Redaction p.{self.page} of {self.item}"


class PreparedPDF(PHIModel):
    """A piece of a packet made ahead of the build, when the specialist works.

    Rasterizing a page that carries redactions is the slow part of a build; it is
    done when an area on the page is marked or unmarked (and whenever the build
    finds it missing or stale), so building the packet is mostly joining pages.
    ``key`` is a digest of everything the picture was made from (version, page,
    boxes, resolution, layout); a build uses it only while its key still matches
    and otherwise makes it again. Kept in the database, not as a file: it goes with
    its request document, in the same transaction, and leaves no copy of redacted
    PHI behind when the item goes.
    """

    facility_path = "item__request__facility"
    patient_path = "item__request__patient"

    class Kind(models.TextChoices):
        REDACTED = "redacted", "Redacted page"

    item = models.ForeignKey(RequestDocument, on_delete=models.CASCADE, related_name="prepared")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    page = models.PositiveIntegerField(help_text="1-based page of the document")
    key = models.CharField(max_length=64)
    pdf = models.BinaryField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "kind", "page"], name="roi_prepared_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} p.{self.page} of {self.item}"


class Packet(PHIModel):
    """A built release packet (PDF): built by a task, checked by a second person."""

    facility_path = "request__facility"
    patient_path = "request__patient"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready for quality check"
        FAILED = "failed", "Failed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected in quality check"
        RELEASED = "released", "Released"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ROIRequest, on_delete=models.PROTECT, related_name="packets")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent")
    error = models.TextField(blank=True, help_text="What went wrong, for a person")
    file = models.FileField(upload_to="roi/packets/%Y/%m/", blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    includes_part2 = models.BooleanField(default=False)
    bates_prefix = models.CharField(max_length=20, blank=True)
    bates_start = models.PositiveIntegerField(default=1)
    # The lease a worker holds while building (same pattern as him.ReportRun).
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True, help_text="Request context of the builder")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("download_packet", "Can download a release packet")]

    def __str__(self) -> str:
        return f"Packet {self.pk} of {self.request}"

    @property
    def public_ref(self) -> str:
        """How the trail names it: the id the screens and the API use."""
        return str(self.public_id)
