from __future__ import annotations

import secrets

from django.db import models
from simple_history.models import HistoricalRecords

from him import crypto
from him.models import Facility, PHIModel

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_enterprise_id() -> str:
    """A random public identifier: reveals neither row counts nor order."""
    return "E" + "".join(secrets.choice(_ALPHABET) for _ in range(9))


class Patient(PHIModel):
    """A person whose records HIM keeps: one master patient index entry.

    ``facility`` is the registering facility, which decides who may reach the
    patient. The SSN is stored encrypted (him.crypto) with its last four digits
    in clear for masked display (***-**-1234) and matching.
    """

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNKNOWN = "U", "Unknown"

    class Confidentiality(models.TextChoices):
        NORMAL = "normal", "Normal"
        RESTRICTED = "restricted", "Restricted"

    class RestrictionReason(models.TextChoices):
        VIP = "vip", "VIP"
        EMPLOYEE = "employee", "Employee"
        PATIENT_REQUESTED = "patient_requested", "Patient-requested restriction"
        LEGAL = "legal", "Legal"

    enterprise_id = models.CharField(
        max_length=10, unique=True, default=new_enterprise_id, editable=False
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=30, help_text="Medical record number at the facility")
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    suffix = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(
        "administrative sex", max_length=1, choices=Sex.choices, default=Sex.UNKNOWN
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    ssn_encrypted = models.TextField(blank=True, editable=False)
    ssn_last4 = models.CharField(max_length=4, blank=True, editable=False)
    deceased_date = models.DateField(null=True, blank=True)
    confidentiality = models.CharField(
        max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    restriction_reason = models.CharField(
        max_length=20, choices=RestrictionReason.choices, blank=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Search keys (records.search): kept by refresh_search_keys() on every save.
    family_norm = models.CharField(max_length=100, blank=True, editable=False, db_index=True)
    given_norm = models.CharField(max_length=100, blank=True, editable=False, db_index=True)
    family_key = models.CharField(max_length=4, blank=True, editable=False)
    given_key = models.CharField(max_length=4, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["ssn_encrypted"])

    facility_path = "facility"
    patient_path = ""

    class Meta:
        ordering = ["family_name", "given_name", "birth_date"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "mrn"], name="records_patient_unique_mrn"),
            models.CheckConstraint(
                condition=~models.Q(confidentiality="restricted")
                | ~models.Q(restriction_reason=""),
                name="records_patient_restriction_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["family_name", "given_name"], name="records_pat_name_idx"),
            models.Index(fields=["birth_date"], name="records_pat_birth_idx"),
            models.Index(fields=["mrn"], name="records_pat_mrn_idx"),
            # Index-only lookups of the distinct names behind a phonetic key.
            models.Index(fields=["family_key", "family_norm"], name="records_pat_fkey_idx"),
            models.Index(fields=["given_key", "given_norm"], name="records_pat_gkey_idx"),
        ]
        permissions = [
            ("view_ssn", "Can see full social security numbers"),
            ("view_restricted_patient", "Can open this restricted patient's record"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def public_ref(self) -> str:
        return self.enterprise_id

    def refresh_search_keys(self) -> None:
        from records.search import normalize, phonetic_key

        self.family_norm = normalize(self.family_name)[:100]
        self.given_norm = normalize(self.given_name)[:100]
        self.family_key = phonetic_key(self.family_name)
        self.given_key = phonetic_key(self.given_name)

    def save(self, *args, **kwargs):
        # The one exception to "no logic in save()": the search keys derive from
        # the names alone and every writer (forms, API, HL7 intake, merges,
        # factories) must keep them, so they are derived where every write passes.
        # Bulk writers call refresh_search_keys() themselves (records.synthetic).
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"family_name", "given_name"} & set(update_fields):
            kwargs["update_fields"] = {
                *update_fields,
                "family_norm",
                "given_norm",
                "family_key",
                "given_key",
            }
        super().save(*args, **kwargs)

    @property
    def is_restricted(self) -> bool:
        return self.confidentiality == self.Confidentiality.RESTRICTED

    def set_ssn(self, ssn: str) -> None:
        digits = "".join(c for c in ssn or "" if c.isdigit())
        if digits and len(digits) != 9:
            raise ValueError("An SSN has 9 digits.")
        self.ssn_encrypted = crypto.encrypt(digits) if digits else ""
        self.ssn_last4 = digits[-4:] if digits else ""

    def ssn(self) -> str:
        digits = crypto.decrypt(self.ssn_encrypted)
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if digits else ""

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""


class IdentifierSystem(models.Model):
    """A namespace of identifiers: a facility's MRNs, a payer's member ids, ...

    Identifiers name a system registered here; an unknown system is refused.
    """

    class Kind(models.TextChoices):
        MRN = "mrn", "Medical record number"
        INSURANCE = "insurance", "Insurance member id"
        EXTERNAL = "external", "External system id"

    code = models.CharField(max_length=40, unique=True, help_text="e.g. MRN-MAIN, PAYER-ACME")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="identifier_systems"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PatientIdentifier(PHIModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    system = models.ForeignKey(IdentifierSystem, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    facility_path = "patient__facility"
    patient_path = "patient"

    class Meta:
        ordering = ["system__code", "value"]
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="records_identifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system.code}:{self.value}"
