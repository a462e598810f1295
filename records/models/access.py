"""Break-the-glass: time-limited emergency access to a restricted patient.

A row is both the grant (while ``started_at <= now < expires_at``) and the
case the privacy officer reviews afterwards. The access policy's restricted-
patient rule (records/access.py) reads it; it is never widened by editing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from him.models import PHIModel

from .patients import Patient

# How long an emergency access lasts; settings.BREAK_GLASS_HOURS overrides it.
BREAK_GLASS_HOURS = 4


def break_glass_hours() -> float:
    return float(getattr(settings, "BREAK_GLASS_HOURS", BREAK_GLASS_HOURS))


def default_expiry():
    return timezone.now() + timedelta(hours=break_glass_hours())


class BreakGlassQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(started_at__lte=at, expires_at__gt=at)

    def visible_to(self, user, action: str = "view"):
        from him import policy

        return policy.restrict(self, user, action)


class BreakGlassAccess(PHIModel):
    """One emergency access: who, which patient, why, until when, and its review."""

    class ReasonCode(models.TextChoices):
        EMERGENCY = "emergency", "Emergency treatment"
        CONTINUITY = "continuity", "Continuity of care"
        PATIENT_REQUEST = "patient_request", "Patient request"
        OTHER = "other", "Other"

    class ReviewStatus(models.TextChoices):
        PENDING = "pending", "Pending review"
        REVIEWED = "reviewed", "Reviewed"
        ESCALATED = "escalated", "Escalated"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices)
    reason_text = models.TextField()
    identifier = models.CharField(
        max_length=64, blank=True, help_text="What the user typed to name the patient"
    )
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_expiry)
    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    facility_path = "patient__facility"
    patient_path = "patient"

    objects = BreakGlassQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "break-the-glass access"
        verbose_name_plural = "break-the-glass accesses"
        indexes = [
            models.Index(fields=["user", "patient", "expires_at"], name="records_btg_active_idx"),
            models.Index(fields=["review_status", "started_at"], name="records_btg_review_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason_text=""), name="records_btg_reason_required"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("started_at")),
                name="records_btg_expires_after_start",
            ),
        ]
        permissions = [
            ("review_breakglassaccess", "Can review break-the-glass accesses"),
            (
                "manage_access_grants",
                "Can grant and revoke access to restricted patients and sensitive documents",
            ),
        ]

    def __str__(self) -> str:
        return f"Break-the-glass {self.public_id} ({self.get_review_status_display()})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.started_at <= now < self.expires_at

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        """Reviewers see the accesses to patients of their facilities; others their own."""
        from him.policy import facility_ids

        queryset = queryset.filter(patient__facility__in=facility_ids(user))
        if action == "review" or user.has_perm("records.review_breakglassaccess"):
            return queryset
        return queryset.filter(user_id=user.pk)
