from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .policy import PolicyQuerySet


class ReportRun(models.Model):
    """One request to run a registered report, and everything about its run.

    The Celery task that serves it is keyed by this row: the row says whether
    the work is queued, running, done or failed, how far it got, and where its
    output is, so a redelivered task can tell the work is already done.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        PDF = "pdf", "PDF"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report_key = models.CharField(max_length=100)
    parameters = models.JSONField(default=dict, blank=True)
    output_format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_runs"
    )
    request_context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    output = models.FileField(upload_to="reports/", blank=True)
    output_name = models.CharField(max_length=200, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "lease_until"], name="him_reportrun_status_idx")]

    def __str__(self) -> str:
        return f"{self.report_key} ({self.get_status_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        """A run, its progress and its output belong to the person who asked for it."""
        return queryset.filter(requested_by=user)
