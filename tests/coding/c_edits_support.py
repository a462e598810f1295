"""A small FY2026 ICD-10-CM set for the edit tests (real codes, titles and notes,
typed by hand from the public tabular) and claim builders."""

from __future__ import annotations

import datetime as dt

from coding_factories import code_set, codes, note, seventh

from coding import edits
from coding.claim import Claim, Dx, Px, Service
from coding.models import CodeSystem

DISCHARGE = dt.date(2026, 3, 10)

CM_ROWS = [
    ("D63", "Anemia in chronic diseases classified elsewhere", False),
    ("D631", "Anemia in chronic kidney disease"),
    ("E10", "Type 1 diabetes mellitus", False),
    ("E109", "Type 1 diabetes mellitus without complications"),
    ("E11", "Type 2 diabetes mellitus", False),
    ("E116", "Type 2 diabetes mellitus with other specified complications", False),
    ("E1164", "Type 2 diabetes mellitus with hypoglycemia", False),
    ("E11641", "Type 2 diabetes mellitus with hypoglycemia with coma"),
    ("E11649", "Type 2 diabetes mellitus with hypoglycemia without coma"),
    ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
    ("E1169", "Type 2 diabetes mellitus with other specified complication"),
    ("E119", "Type 2 diabetes mellitus without complications"),
    ("E11A", "Type 2 diabetes mellitus without complications in remission"),
    ("E05", "Thyrotoxicosis [hyperthyroidism]", False),
    ("E0590", "Thyrotoxicosis, unspecified without thyrotoxic crisis or storm"),
    ("F06", "Other mental disorders due to known physiological condition", False),
    ("F064", "Anxiety disorder due to known physiological condition"),
    ("F02", "Dementia in other diseases classified elsewhere", False),
    ("F028", "Dementia in other diseases classified elsewhere, unspecified severity", False),
    (
        "F0280",
        "Dementia in other diseases classified elsewhere, unspecified severity, without "
        "behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety",
    ),
    ("G30", "Alzheimer's disease", False),
    ("G309", "Alzheimer's disease, unspecified"),
    ("I10", "Essential (primary) hypertension"),
    ("I50", "Heart failure", False),
    ("I501", "Left ventricular failure, unspecified"),
    ("I502", "Systolic (congestive) heart failure", False),
    ("I5021", "Acute systolic (congestive) heart failure"),
    ("I5022", "Chronic systolic (congestive) heart failure"),
    ("I509", "Heart failure, unspecified"),
    ("I63", "Cerebral infarction", False),
    ("I639", "Cerebral infarction, unspecified"),
    ("J18", "Pneumonia, unspecified organism", False),
    ("J180", "Bronchopneumonia, unspecified organism"),
    ("J181", "Lobar pneumonia, unspecified organism"),
    ("J189", "Pneumonia, unspecified organism"),
    ("N18", "Chronic kidney disease (CKD)", False),
    ("N184", "Chronic kidney disease, stage 4 (severe)"),
    ("S72", "Fracture of femur", False),
    ("S720", "Fracture of head and neck of femur", False),
    ("S7200", "Fracture of unspecified part of neck of femur", False),
    ("S72001", "Fracture of unspecified part of neck of right femur"),
    ("T36", "Poisoning by, adverse effect of and underdosing of systemic antibiotics", False),
    ("T360", "Poisoning by, adverse effect of and underdosing of penicillins", False),
    ("T360X", "Poisoning by, adverse effect of and underdosing of penicillins", False),
    ("T360X1", "Poisoning by penicillins, accidental (unintentional)"),
    ("W01", "Fall on same level from slipping, tripping and stumbling", False),
    (
        "W010",
        "Fall on same level from slipping, tripping and stumbling without subsequent "
        "striking against object",
    ),
    ("Z79", "Long term (current) drug therapy", False),
    ("Z794", "Long term (current) use of insulin"),
    ("Z7984", "Long term (current) use of oral hypoglycemic drugs"),
    ("C61", "Malignant neoplasm of prostate"),
    ("O80", "Encounter for full-term uncomplicated delivery"),
]

PCS_ROWS = [("0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach")]


def cm_fy2026():
    cs = code_set()
    made = codes(cs, CM_ROWS)
    note(
        made["E10"],
        "excludes1",
        "type 2 diabetes mellitus (E11.-)",
        [("E11", "E11")],
    )
    note(
        made["E11"],
        "excludes1",
        "type 1 diabetes mellitus (E10.-)",
        [("E10", "E10")],
    )
    note(
        made["E11"],
        "use_additional",
        "code to identify control using: insulin (Z79.4), oral antidiabetic drugs (Z79.84), "
        "oral hypoglycemic drugs (Z79.84)",
        [("Z794", "Z794"), ("Z7984", "Z7984")],
    )
    note(
        made["I10"],
        "excludes2",
        "essential (primary) hypertension involving vessels of brain (I60-I69)",
        [("I60", "I69")],
    )
    note(
        made["D631"],
        "code_first",
        "underlying chronic kidney disease (CKD) (N18.-)",
        [("N18", "N18")],
    )
    note(
        made["F02"],
        "code_first",
        "the underlying physiological condition, such as: Alzheimer's (G30.-)",
        [("G30", "G30")],
    )
    # The tabular's F06 note names no code; a site's loader may not resolve "such as" lists,
    # so this test note names one (hyperthyroidism) to check the sequencing rule.
    note(made["F06"], "code_first", "the underlying physiological condition", [("E05", "E05")])
    fracture = [
        ("A", "initial encounter for closed fracture"),
        ("B", "initial encounter for open fracture type I or II"),
        ("D", "subsequent encounter for closed fracture with routine healing"),
        ("S", "sequela"),
    ]
    seventh(made["S72"], fracture)
    encounter = [("A", "initial encounter"), ("D", "subsequent encounter"), ("S", "sequela")]
    seventh(made["T36"], encounter)
    seventh(made["W01"], encounter)
    return cs, made


def pcs_fy2026():
    cs = code_set(CodeSystem.ICD10PCS)
    return cs, codes(cs, PCS_ROWS)


def claim(
    dx=(),
    *,
    px=(),
    services=(),
    inpatient=True,
    sex="F",
    age=70,
    discharge=DISCHARGE,
    disposition="01",
    **extra,
) -> Claim:
    """``dx``: codes or (code, poa); POA defaults to Y for inpatient claims."""
    diagnoses = []
    for i, d in enumerate(dx, start=1):
        code, poa = (d, "Y" if inpatient else "") if isinstance(d, str) else d
        diagnoses.append(Dx(code=code, poa=poa, sequence=i))
    return Claim(
        inpatient=inpatient,
        encounter_class="inpatient" if inpatient else "outpatient",
        sex=sex,
        age=age,
        admit_date=discharge - dt.timedelta(days=4),
        discharge_date=discharge,
        disposition=disposition,
        diagnoses=tuple(diagnoses),
        procedures=tuple(Px(code=c, sequence=i) for i, c in enumerate(px, start=1)),
        services=tuple(
            s if isinstance(s, Service) else Service(code=s, sequence=i)
            for i, s in enumerate(services, start=1)
        ),
        **extra,
    )


def run(c: Claim) -> list[edits.Edit]:
    return edits.run(c)


def ids(found, prefix: str = "") -> list[str]:
    return [e.id for e in found if e.id.startswith(prefix)]


def only(found, edit_id: str) -> list[edits.Edit]:
    return [e for e in found if e.id == edit_id]
