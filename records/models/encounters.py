from __future__ import annotations

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from him.models import Facility, PHIModel

from .patients import Patient
from .providers import Provider


class Encounter(PHIModel):
    """A visit or stay: what a chart is complete or deficient about."""

    class Class(models.TextChoices):
        INPATIENT = "inpatient", "Inpatient"
        OUTPATIENT = "outpatient", "Outpatient"
        EMERGENCY = "emergency", "Emergency"
        OBSERVATION = "observation", "Observation"

    class Status(models.TextChoices):
        ADMITTED = "admitted", "Admitted"
        DISCHARGED = "discharged", "Discharged"
        CANCELLED = "cancelled", "Cancelled"

    class AdmitSource(models.TextChoices):
        # UB-04 form locator 15, point of origin for admission or visit.
        NON_HEALTHCARE = "1", "1 · Non-health care facility point of origin"
        CLINIC = "2", "2 · Clinic or physician's office"
        HOSPITAL_TRANSFER = "4", "4 · Transfer from a hospital"
        SNF_TRANSFER = "5", "5 · Transfer from a SNF, ICF or ALF"
        OTHER_FACILITY = "6", "6 · Transfer from another health care facility"
        COURT = "8", "8 · Court/law enforcement"
        UNKNOWN = "9", "9 · Information not available"
        SAME_HOSPITAL = "D", "D · Transfer within the same hospital"
        ASC = "E", "E · Transfer from an ambulatory surgery center"
        HOSPICE = "F", "F · Transfer from a hospice facility"

    class Disposition(models.TextChoices):
        # UB-04 form locator 17, patient discharge status.
        HOME = "01", "01 · Home or self care"
        SHORT_TERM_HOSPITAL = "02", "02 · Short-term general hospital"
        SNF = "03", "03 · Skilled nursing facility"
        ICF = "04", "04 · Intermediate care facility"
        CANCER_CHILDRENS = "05", "05 · Cancer center or children's hospital"
        HOME_HEALTH = "06", "06 · Home under home health care"
        AMA = "07", "07 · Left against medical advice"
        EXPIRED = "20", "20 · Expired"
        COURT = "21", "21 · Court/law enforcement"
        STILL_PATIENT = "30", "30 · Still a patient"
        HOSPICE_HOME = "50", "50 · Hospice, home"
        HOSPICE_FACILITY = "51", "51 · Hospice, medical facility"
        SWING_BED = "61", "61 · Swing bed"
        IRF = "62", "62 · Inpatient rehabilitation facility"
        LTCH = "63", "63 · Long-term care hospital"
        NURSING_MEDICAID = "64", "64 · Nursing facility (Medicaid only)"
        PSYCHIATRIC = "65", "65 · Psychiatric hospital or unit"
        CAH = "66", "66 · Critical access hospital"
        OTHER = "70", "70 · Another type of health care institution"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("visit/account number", max_length=30)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="encounters")
    encounter_class = models.CharField("class", max_length=12, choices=Class.choices)
    admit_at = models.DateTimeField()
    discharge_at = models.DateTimeField(null=True, blank=True)
    admit_source = models.CharField(
        max_length=1, choices=AdmitSource.choices, default=AdmitSource.NON_HEALTHCARE
    )
    discharge_disposition = models.CharField(max_length=2, choices=Disposition.choices, blank=True)
    attending = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="attending_for"
    )
    other_providers = models.ManyToManyField(Provider, blank=True, related_name="+")
    service_line = models.CharField(max_length=60, blank=True)
    surgery_at = models.DateTimeField(
        null=True, blank=True, help_text="When the principal procedure was performed, if any"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ADMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[])

    facility_path = "facility"
    patient_path = "patient"

    class Meta:
        ordering = ["-admit_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "number"], name="records_encounter_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(discharge_at__isnull=True)
                | models.Q(discharge_at__gte=models.F("admit_at")),
                name="records_encounter_discharge_after_admit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["facility", "status", "discharge_at"], name="records_enc_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_encounter_class_display()})"

    @property
    def public_ref(self) -> str:
        return str(self.public_id)

    @property
    def length_of_stay_days(self) -> int | None:
        if not self.discharge_at:
            return None
        return (self.discharge_at.date() - self.admit_at.date()).days
