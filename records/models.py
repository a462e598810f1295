from __future__ import annotations

import secrets

from django.db import models
from simple_history.models import HistoricalRecords

from him.models import Facility, PHIModel

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_enterprise_id() -> str:
    """A random public identifier: reveals neither row counts nor order."""
    return "E" + "".join(secrets.choice(_ALPHABET) for _ in range(9))


class Patient(PHIModel):
    """A person whose records HIM keeps (master patient index entry)."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNKNOWN = "U", "Unknown"

    enterprise_id = models.CharField(
        max_length=10, unique=True, default=new_enterprise_id, editable=False
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=30, help_text="Medical record number at the facility")
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    facility_path = "facility"
    patient_path = ""

    class Meta:
        ordering = ["family_name", "given_name", "birth_date"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "mrn"], name="records_patient_unique_mrn")
        ]
        indexes = [models.Index(fields=["family_name", "given_name"], name="records_pat_name_idx")]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def public_ref(self) -> str:
        return self.enterprise_id
