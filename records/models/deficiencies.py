"""Chart completion: the rules a chart must meet, what is missing, and the letters.

A ``DeficiencyRule`` says what a complete chart holds and by when (an H&P
within 24 hours of admission, ...). Rules with no facility apply everywhere; a
facility's own rule with the same kind and document type replaces the global
one there (an inactive one switches it off there). ``Deficiency`` rows are what
``records.services.deficiencies`` finds missing, each with the provider who must
complete it and a due date.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from him import roles
from him.models import Facility, PHIModel, PolicyQuerySet

from .documents import Document
from .encounters import Encounter
from .providers import Provider


class Kind(models.TextChoices):
    MISSING_DOCUMENT = "missing_document", "Missing document"
    MISSING_SIGNATURE = "missing_signature", "Missing signature"
    INCOMPLETE = "incomplete", "Incomplete"


class DeficiencyRule(models.Model):
    """What a chart must hold, and how long after an anchor event it may take."""

    class Anchor(models.TextChoices):
        ADMISSION = "admission", "Admission"
        SURGERY = "surgery", "Surgery"
        DISCHARGE = "discharge", "Discharge"

    # Only these two are checked automatically; "incomplete" is a person's finding.
    RULE_KINDS = [
        (Kind.MISSING_DOCUMENT.value, Kind.MISSING_DOCUMENT.label),
        (Kind.MISSING_SIGNATURE.value, Kind.MISSING_SIGNATURE.label),
    ]

    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deficiency_rules",
        help_text="Empty: every facility. A facility's own rule of the same kind and "
        "document type replaces the general one there.",
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RULE_KINDS)
    doc_type = models.CharField(
        "document type",
        max_length=20,
        choices=Document.Type.choices,
        blank=True,
        help_text="For signatures, empty means every document of the encounter.",
    )
    anchor = models.CharField(max_length=10, choices=Anchor.choices)
    hours_allowed = models.PositiveIntegerField(help_text="e.g. 24, or 720 for 30 days")
    encounter_classes = models.CharField(
        max_length=100,
        blank=True,
        help_text="Comma-separated encounter classes (inpatient, outpatient, emergency, "
        "observation); empty means every class.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility__code", "kind", "doc_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "kind", "doc_type"], name="records_defrule_unique"
            )
        ]

    def __str__(self) -> str:
        where = self.facility.code if self.facility_id else "all facilities"
        return f"{self.name} ({where})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = self.classes - set(Encounter.Class.values)
        if unknown:
            known = ", ".join(Encounter.Class.values)
            raise ValidationError(
                {
                    "encounter_classes": f"Unknown class {', '.join(sorted(unknown))}; "
                    f"use {known}, separated by commas."
                }
            )
        if self.kind == Kind.MISSING_DOCUMENT and not self.doc_type:
            raise ValidationError(
                {"doc_type": "Say which document type must be present for this rule."}
            )
        if self.anchor == self.Anchor.SURGERY and self.kind == Kind.MISSING_SIGNATURE:
            # Signatures are owed for the whole chart, counted from discharge.
            raise ValidationError({"anchor": "Signature rules count from discharge or admission."})

    @property
    def classes(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.encounter_classes.split(",") if c.strip())

    def applies_to_class(self, encounter_class: str) -> bool:
        return not self.classes or encounter_class in self.classes

    @property
    def override_key(self) -> tuple[str, str]:
        return (self.kind, self.doc_type)

    def anchor_time(self, encounter: Encounter):
        return {
            self.Anchor.ADMISSION: encounter.admit_at,
            self.Anchor.SURGERY: encounter.surgery_at,
            self.Anchor.DISCHARGE: encounter.discharge_at,
        }[self.anchor]


# Roles that see every deficiency of their facilities; a physician without one
# of them sees only the deficiencies assigned to them.
_ALL_DEFICIENCY_ROLES = frozenset(
    {
        roles.HIM_TECHNICIAN,
        roles.HIM_MANAGER,
        roles.AUDITOR,
        roles.CODER,
        roles.ROI_SPECIALIST,
        roles.PRIVACY_OFFICER,
        roles.SYSTEM_ADMINISTRATOR,
        roles.INTEGRATION,
    }
)


def sees_own_only(user) -> bool:
    """A physician (and nothing broader) sees only what is assigned to them."""
    names = set(getattr(user, "role_names", []))
    return roles.PHYSICIAN in names and not names & _ALL_DEFICIENCY_ROLES


class DeficiencyQuerySet(PolicyQuerySet):
    def open(self) -> DeficiencyQuerySet:
        return self.filter(status=Deficiency.Status.OPEN)

    def delinquent(self, now=None) -> DeficiencyQuerySet:
        return self.filter(status=Deficiency.Status.OPEN, due_at__lt=now or timezone.now())

    def with_delinquency(self, now=None) -> DeficiencyQuerySet:
        now = now or timezone.now()
        return self.annotate(
            delinquent=models.Case(
                models.When(status=Deficiency.Status.OPEN, due_at__lt=now, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )


class Deficiency(PHIModel):
    """Something missing from a chart, who must complete it, and by when."""

    Kind = Kind

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        WAIVED = "waived", "Waived"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="deficiencies")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="deficiencies"
    )
    rule = models.ForeignKey(
        DeficiencyRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    doc_type = models.CharField(
        "document type", max_length=20, choices=Document.Type.choices, blank=True
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="deficiencies"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waive_reason = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="What is incomplete, for a person's finding")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeficiencyQuerySet.as_manager()

    facility_path = "encounter__facility"
    patient_path = "encounter__patient"

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name_plural = "deficiencies"
        permissions = [
            ("waive_deficiency", "Can waive a deficiency"),
            ("view_delinquency", "Can see delinquency figures"),
        ]
        constraints = [
            # At most one live (open or waived) deficiency per rule and document:
            # re-evaluation can never duplicate.
            models.UniqueConstraint(
                fields=["encounter", "rule"],
                condition=models.Q(document__isnull=True, status__in=["open", "waived"])
                & models.Q(rule__isnull=False),
                name="records_deficiency_live_missing_doc",
            ),
            models.UniqueConstraint(
                fields=["encounter", "rule", "document"],
                condition=models.Q(document__isnull=False, status__in=["open", "waived"])
                & models.Q(rule__isnull=False),
                name="records_deficiency_live_per_document",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="records_def_status_due_idx"),
            models.Index(fields=["provider", "status"], name="records_def_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_doc_type_display() or 'document'}"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def is_delinquent(self) -> bool:
        annotated = getattr(self, "delinquent", None)
        if annotated is not None:
            return bool(annotated)
        return self.status == self.Status.OPEN and self.due_at < timezone.now()

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        from him import policy

        queryset = queryset.filter(encounter__facility__in=policy.facility_ids(user))
        if sees_own_only(user):
            queryset = queryset.filter(provider__user=user)
        return queryset


class DeficiencyLetter(PHIModel):
    """A reminder or escalation letter (PDF) to one provider about their deficiencies."""

    class LetterKind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        ESCALATION = "escalation", "Escalation"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=10, choices=LetterKind.choices)
    letter_date = models.DateField()
    file = models.FileField(upload_to="letters/deficiencies/%Y/%m/")
    deficiencies = models.ManyToManyField(Deficiency, related_name="letters")
    created_at = models.DateTimeField(auto_now_add=True)

    facility_path = "facility"
    patient_path = None

    class Meta:
        ordering = ["-letter_date", "provider__family_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "provider", "kind", "letter_date"],
                name="records_letter_once_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.provider} ({self.letter_date})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.provider.npi}-{self.letter_date:%Y%m%d}.pdf"

    @classmethod
    def scope_for(cls, queryset, user, action: str):
        from him import policy

        queryset = queryset.filter(facility__in=policy.facility_ids(user))
        if sees_own_only(user):
            queryset = queryset.filter(provider__user=user)
        return queryset


class DeficiencyReply(models.Model):
    """A message on a deficiency: a physician disputing it ("not my patient"), a
    technician answering. Read with the deficiency, through its access policy."""

    deficiency = models.ForeignKey(Deficiency, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "deficiency replies"

    def __str__(self) -> str:
        return f"reply on {self.deficiency_id} by {self.author_id}"
