"""Small code sets for the search tests, indexed the way a load indexes them."""

from __future__ import annotations

import datetime as dt

from coding_factories import code_set, codes, note, seventh

from coding import hooks
from coding.models import Code, CodeNote, CodeSystem

ON = dt.date(2026, 3, 10)  # inside FY2026 (2025-10-01 .. 2026-09-30)
FY2025 = (dt.date(2024, 10, 1), dt.date(2025, 9, 30))

CM_ROWS = [
    ("E08", "Diabetes mellitus due to underlying condition", False),
    ("E089", "Diabetes mellitus due to underlying condition without complications"),
    ("E10", "Type 1 diabetes mellitus", False),
    ("E109", "Type 1 diabetes mellitus without complications"),
    ("E11", "Type 2 diabetes mellitus", False),
    ("E116", "Type 2 diabetes mellitus with other specified complications", False),
    ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
    ("E1169", "Type 2 diabetes mellitus with other specified complication"),
    ("E119", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("I11", "Hypertensive heart disease", False),
    ("I110", "Hypertensive heart disease with heart failure"),
    ("J18", "Pneumonia, unspecified organism", False),
    ("J189", "Pneumonia, unspecified organism"),
    ("J181", "Lobar pneumonia, unspecified organism"),
    ("S72", "Fracture of femur", False),
    ("S720", "Fracture of head and neck of femur", False),
    ("S7200", "Fracture of unspecified part of neck of femur", False),
    ("S72001", "Fracture of unspecified part of neck of right femur", False),
    ("S72001A", "Fracture of unspecified part of neck of right femur, initial encounter"),
    ("R739", "Hyperglycemia, unspecified"),
]


def cm_set(*, version: str = "FY2026", dates=None, rows=CM_ROWS):
    cs = code_set(CodeSystem.ICD10CM, version, **({"dates": dates} if dates else {}))
    made = codes(cs, rows)
    return cs, made


def cm_with_notes():
    """FY2026 ICD-10-CM with chapter and block above E11 and the notes a coder reads."""
    cs = code_set(CodeSystem.ICD10CM, "FY2026")
    chapter = Code.objects.create(
        code_set=cs,
        code="4",
        kind=Code.Kind.CHAPTER,
        billable=False,
        position=1,
        title="Endocrine, nutritional and metabolic diseases (E00-E89)",
    )
    block = Code.objects.create(
        code_set=cs,
        code="E08-E13",
        kind=Code.Kind.BLOCK,
        billable=False,
        position=2,
        title="Diabetes mellitus (E08-E13)",
        parent=chapter,
        depth=1,
    )
    made = codes(
        cs,
        [
            ("E10", "Type 1 diabetes mellitus", False, None),
            ("E109", "Type 1 diabetes mellitus without complications"),
            ("E11", "Type 2 diabetes mellitus", False, None),
            ("E119", "Type 2 diabetes mellitus without complications"),
            ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
            ("Z794", "Long term (current) use of insulin"),
        ],
    )
    for c in ("E10", "E11"):
        made[c].parent = block
        made[c].depth = 2
        made[c].save(update_fields=["parent", "depth"])
    note(made["E11"], CodeNote.Kind.INCLUDES, "diabetes (mellitus) due to insulin secretory defect")
    note(made["E11"], CodeNote.Kind.EXCLUDES1, "type 1 diabetes mellitus (E10.-)", [("E10", "E10")])
    note(
        made["E11"],
        CodeNote.Kind.USE_ADDITIONAL,
        "Use additional code to identify control using: insulin (Z79.4)",
        [("Z794", "Z794")],
    )
    note(made["E1165"], CodeNote.Kind.INCLUSION, "Type 2 diabetes mellitus with hyperglycaemia")
    return cs, {"chapter": chapter, "block": block, **made}


def fracture_with_seventh():
    cs = code_set(CodeSystem.ICD10CM, "FY2026")
    made = codes(
        cs,
        [
            ("S72", "Fracture of femur", False),
            ("S7200", "Fracture of unspecified part of neck of femur", False),
            ("S72001", "Fracture of unspecified part of neck of right femur", False),
        ],
    )
    seventh(
        made["S72"], [("A", "initial encounter for closed fracture"), ("D", "subsequent encounter")]
    )
    note(
        made["S72"], CodeNote.Kind.SEVENTH_CHARACTER, "The appropriate 7th character is to be added"
    )
    return cs, made


def pcs_set():
    cs = code_set(CodeSystem.ICD10PCS, "FY2026")
    made = codes(
        cs,
        [
            ("0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach"),
            ("0DTJ0ZZ", "Resection of Appendix, Open Approach"),
            (
                "0SR90J9",
                "Replacement of Right Hip Joint with Synthetic Substitute, Cemented, Open Approach",
            ),
        ],
    )
    return cs, made


def loaded(cs):
    """Announce the load, as the code-set loaders do: the index is rebuilt."""
    hooks.fire(hooks.CODESET_LOADED, code_set=cs)
    return cs
