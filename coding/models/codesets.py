"""Code sets: ICD-10-CM, ICD-10-PCS, CPT, HCPCS, modifiers, MS-DRG, NCCI.

A ``CodeSet`` is one version of one code system with the dates it is in force;
an encounter is checked against the version in force on its discharge date.
Codes are stored without the dot (``E1122``); the dot is for display.
Code sets are reference data, not PHI: no facility scope, no trail on read.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models


class CodeSystem(models.TextChoices):
    ICD10CM = "icd10cm", "ICD-10-CM"
    ICD10PCS = "icd10pcs", "ICD-10-PCS"
    CPT = "cpt", "CPT"
    HCPCS = "hcpcs", "HCPCS Level II"
    MODIFIER = "modifier", "CPT/HCPCS modifiers"
    MSDRG = "msdrg", "MS-DRG"
    NCCI_PTP = "ncci_ptp", "NCCI procedure-to-procedure"
    NCCI_MUE = "ncci_mue", "NCCI medically unlikely edits"


class CodeSetQuerySet(models.QuerySet):
    def in_force(self, system: str | None, on: dt.date) -> CodeSetQuerySet:
        """Versions in force on ``on``: of ``system``, or of every system when None."""
        queryset = self.filter(system=system) if system else self
        return queryset.filter(effective_from__lte=on).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on)
        )


class CodeSet(models.Model):
    system = models.CharField(max_length=10, choices=CodeSystem.choices)
    version = models.CharField(max_length=20, help_text="e.g. FY2026, 2026Q1, v43")
    label = models.CharField(max_length=120)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty: still in force")
    source = models.CharField(max_length=200, blank=True, help_text="File or package it came from")
    source_sha256 = models.CharField(max_length=64, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField(null=True, blank=True)

    objects = CodeSetQuerySet.as_manager()

    class Meta:
        ordering = ["system", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["system", "version"], name="coding_codeset_unique"),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_system_display()} {self.version}"

    @classmethod
    def for_date(cls, system: str, on: dt.date) -> CodeSet | None:
        """The version of ``system`` in force on ``on`` (the latest start wins)."""
        return cls.objects.in_force(system, on).order_by("-effective_from").first()


class Code(models.Model):
    """One entry of a code set: a chapter, block, category or code."""

    class Kind(models.TextChoices):
        CHAPTER = "chapter", "Chapter"
        BLOCK = "block", "Block"
        CATEGORY = "category", "Category"
        CODE = "code", "Code"

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=16, help_text="Without the dot (E1122); A00-A09 for a block")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CODE)
    title = models.TextField()
    billable = models.BooleanField(default=True, help_text="Valid for a claim (not a header)")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveIntegerField(default=0, help_text="Order in the tabular list")
    # Title plus inclusion terms, lower-cased: what word search reads.
    search_text = models.TextField(blank=True)
    # Chapter-specific facts an edit needs (e.g. sex or age limits, manifestation).
    flags = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["code_set", "code"], name="coding_code_unique"),
        ]
        indexes = [models.Index(fields=["code_set", "parent"], name="coding_code_parent")]

    def __str__(self) -> str:
        return f"{self.dotted} {self.title}"

    @property
    def dotted(self) -> str:
        return dotted(self.code, self.code_set.system if self.code_set_id else "")


def dotted(code: str, system: str) -> str:
    """E1122 -> E11.22 for ICD-10-CM; other systems have no dot."""
    if system == CodeSystem.ICD10CM and len(code) > 3 and "-" not in code:
        return f"{code[:3]}.{code[3:]}"
    return code


def undotted(text: str) -> str:
    return text.strip().upper().replace(".", "")


class CodeNote(models.Model):
    """A tabular note on a code (as printed) for display and for the edits."""

    class Kind(models.TextChoices):
        INCLUSION = "inclusion", "Inclusion term"
        INCLUDES = "includes", "Includes"
        EXCLUDES1 = "excludes1", "Excludes1"
        EXCLUDES2 = "excludes2", "Excludes2"
        CODE_FIRST = "code_first", "Code first"
        USE_ADDITIONAL = "use_additional", "Use additional code"
        CODE_ALSO = "code_also", "Code also"
        NOTE = "note", "Note"
        SEVENTH_CHARACTER = "seventh_character", "7th character note"

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["code", "kind", "position"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


class CodeReference(models.Model):
    """A code range a note names, machine-checkable.

    "(E08-E13 with .42)" becomes start E08, end E13, suffix "42": codes whose
    category is E08..E13 and whose characters after the category start with 42.
    "(E11.-)" is start = end = E11. A code matches when it lies in
    [start, end] compared on the first len(start) characters.
    """

    note = models.ForeignKey(CodeNote, on_delete=models.CASCADE, related_name="references")
    # Denormalized from the note, so an edit can query references by kind in one go.
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="references")
    kind = models.CharField(max_length=20, choices=CodeNote.Kind.choices)
    start = models.CharField(max_length=8)
    end = models.CharField(max_length=8)
    suffix = models.CharField(max_length=4, blank=True)

    class Meta:
        indexes = [models.Index(fields=["code", "kind"], name="coding_ref_code_kind")]

    def __str__(self) -> str:
        span = self.start if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.kind} {span}{' with .' + self.suffix if self.suffix else ''}"

    def matches(self, code: str) -> bool:
        code = undotted(code)
        width = len(self.start)
        if not (self.start <= code[:width] <= self.end[:width]):
            return False
        if self.suffix:
            return code[3:].startswith(self.suffix)
        return True


class SeventhCharacter(models.Model):
    """A 7th character allowed for the codes under a category or subcategory."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="seventh_characters")
    character = models.CharField(max_length=1)
    meaning = models.CharField(max_length=200)

    class Meta:
        ordering = ["code", "character"]
        constraints = [
            models.UniqueConstraint(fields=["code", "character"], name="coding_7th_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.character}: {self.meaning}"


class Drg(models.Model):
    """An MS-DRG of one grouper version (the CMS Table 5 row)."""

    class Type(models.TextChoices):
        MEDICAL = "MED", "Medical"
        SURGICAL = "SURG", "Surgical"
        OTHER = "", "Other"

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="drgs")
    drg = models.CharField(max_length=3)
    mdc = models.CharField(max_length=3, blank=True)
    type = models.CharField(max_length=4, choices=Type.choices, blank=True)
    title = models.CharField(max_length=300)
    weight = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    gmlos = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    amlos = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["code_set", "drg"]
        constraints = [
            models.UniqueConstraint(fields=["code_set", "drg"], name="coding_drg_unique"),
        ]

    def __str__(self) -> str:
        return f"MS-DRG {self.drg} {self.title}"


class NcciPair(models.Model):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1.

    ``modifier_indicator``: 0 never allowed together; 1 allowed with an NCCI-
    associated modifier (59, XE, XS, XP, XU, 25, ...); 9 not applicable (deleted).
    """

    class Setting(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        HOSPITAL = "hospital", "Hospital outpatient"

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="ncci_pairs")
    setting = models.CharField(max_length=12, choices=Setting.choices)
    column1 = models.CharField(max_length=5)
    column2 = models.CharField(max_length=5)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    modifier_indicator = models.CharField(max_length=1)
    rationale = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["code_set", "column1", "column2"], name="coding_ncci_pair")]

    def __str__(self) -> str:
        return f"{self.column1}/{self.column2} ({self.modifier_indicator})"


class MueLimit(models.Model):
    """An NCCI medically unlikely edit: the most units of a code on one day."""

    class Setting(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        HOSPITAL = "hospital", "Hospital outpatient"
        DME = "dme", "DME supplier"

    code_set = models.ForeignKey(CodeSet, on_delete=models.CASCADE, related_name="mue_limits")
    setting = models.CharField(max_length=12, choices=Setting.choices)
    code = models.CharField(max_length=5)
    units = models.PositiveIntegerField()
    adjudication_indicator = models.CharField(max_length=120, blank=True)
    rationale = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code_set", "setting", "code"], name="coding_mue_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.units}"


class CodeSetImport(models.Model):
    """One code-set file a person asked to load: loaded by a background task.

    An NCCI quarter is hundreds of thousands of lines: too long for a web
    request. The upload is stored, the task loads it (all of it or nothing) and
    this row says how it went; the stored file is removed once it is done (its
    name and SHA-256 stay here and on the version loaded)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to load"
        RUNNING = "running", "Loading"
        DONE = "done", "Loaded"
        FAILED = "failed", "Refused"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12)
    setting = models.CharField(max_length=12, blank=True)
    version = models.CharField(max_length=20)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    file = models.FileField(upload_to="coding/imports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, help_text="Why the file was refused, for a person")
    loaded = models.JSONField(default=list, blank=True, help_text="The versions it loaded")
    # The lease a worker holds while loading (the pattern of him.ReportRun).
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True, help_text="Request context of the asker")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Import of {self.filename} ({self.get_status_display()})"

    @property
    def done(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
