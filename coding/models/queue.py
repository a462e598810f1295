"""Physician queries (clinical documentation integrity) and their templates.

A coder who finds the documentation unclear asks the provider a question
(``PhysicianQuery``), built from a compliant ``QueryTemplate`` (AHIMA/ACDIS
"Guidelines for Achieving a Compliant Query Practice"): multiple choice always
offers "Other (please specify)" and "Clinically undetermined"; yes/no only for
the situations the guidelines allow; never leading (no mention of payment,
DRG or weight; no single diagnosis proposed without the clinical indicators
the coder cites from the chart). The rules are checked by
``coding.services.queue_queries``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from him.models import PHIModel
from records.models import Document, Provider

from .abstracts import EncounterCoding

__all__ = ["PhysicianQuery", "QueryKind", "QueryTemplate", "YesNoSituation"]

OTHER = "Other (please specify)"
UNDETERMINED = "Clinically undetermined"
REQUIRED_OPTIONS = (OTHER, UNDETERMINED)


class QueryKind(models.TextChoices):
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    OPEN_ENDED = "open_ended", "Open-ended"
    YES_NO = "yes_no", "Yes/No"


class YesNoSituation(models.TextChoices):
    """The only situations in which a yes/no query is compliant."""

    NONE = "", "(not a yes/no query)"
    POA = "poa", "Determining present-on-admission status"
    SUBSTANTIATE = "substantiate", "Substantiating a diagnosis already in the record"
    CAUSE_EFFECT = "cause_effect", "Establishing a cause-and-effect relationship"
    CONFLICT = "conflict", "Resolving conflicting documentation"


class QueryTemplate(models.Model):
    """A reusable, reviewed query wording. Reference data, not PHI."""

    key = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=150)
    kind = models.CharField(max_length=16, choices=QueryKind.choices)
    question = models.TextField(help_text="The question as the provider reads it")
    options = models.JSONField(
        default=list,
        blank=True,
        help_text="Multiple choice: the clinical options; the two mandatory ones are added",
    )
    yes_no_situation = models.CharField(max_length=16, choices=YesNoSituation.choices, blank=True)
    guidance = models.TextField(blank=True, help_text="For the coder: which indicators to cite")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def full_options(self) -> list[str]:
        """The options a query built from this template offers, mandatory ones last."""
        if self.kind != QueryKind.MULTIPLE_CHOICE:
            return []
        clinical = [o for o in self.options if o not in REQUIRED_OPTIONS]
        return [*clinical, *REQUIRED_OPTIONS]


class PhysicianQuery(PHIModel):
    facility_path = "coding__encounter__facility"
    patient_path = "coding__encounter__patient"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent, awaiting answer"
        ANSWERED = "answered", "Answered"
        CANCELLED = "cancelled", "Cancelled"

    Kind = QueryKind
    Situation = YesNoSituation

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    coding = models.ForeignKey(EncounterCoding, on_delete=models.PROTECT, related_name="queries")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="coding_queries")
    template = models.ForeignKey(
        QueryTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="queries"
    )
    kind = models.CharField(max_length=16, choices=QueryKind.choices)
    yes_no_situation = models.CharField(max_length=16, choices=YesNoSituation.choices, blank=True)
    question = models.TextField()
    clinical_indicators = models.TextField(
        help_text="What the chart shows (results, findings, treatment), with where it is"
    )
    options = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer_option = models.CharField(max_length=300, blank=True)
    answer_text = models.TextField(blank=True, help_text="Free text (required for other/open)")
    answer_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Agreement: the provider documented a diagnosis the query asked about
    # (a clinical option, or "yes"); None when it does not apply (open-ended).
    agreement = models.BooleanField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # DRG impact, for the metrics only (never shown to the provider).
    drg_at_send = models.CharField(max_length=3, blank=True)
    weight_at_send = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    drg_after = models.CharField(max_length=3, blank=True)
    weight_after = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    final_recorded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "physician queries"
        permissions = [
            ("answer_physicianquery", "Can answer physician queries addressed to them"),
            ("view_query_metrics", "Can see physician query metrics"),
            ("view_coding_productivity", "Can see coder productivity and the DNFB report"),
        ]
        indexes = [
            models.Index(fields=["status", "provider"], name="coding_query_status_prov"),
            models.Index(fields=["coding", "status"], name="coding_query_coding_status"),
        ]

    def __str__(self) -> str:
        return f"Query to {self.provider} ({self.get_status_display()})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def is_outstanding(self) -> bool:
        return self.status == self.Status.SENT

    @property
    def response_hours(self) -> float | None:
        if not (self.sent_at and self.answered_at):
            return None
        return (self.answered_at - self.sent_at).total_seconds() / 3600

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        from him import policy, roles

        queryset = queryset.filter(coding__encounter__facility__in=policy.facility_ids(user))
        names = set(getattr(user, "role_names", []))
        # A physician (and nothing broader) sees only the queries addressed to them.
        if roles.PHYSICIAN in names and not names - {roles.PHYSICIAN}:
            queryset = queryset.filter(provider__user=user).exclude(status=cls.Status.DRAFT)
        return queryset
