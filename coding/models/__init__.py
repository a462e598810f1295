from .abstracts import (
    MAX_DIAGNOSES,
    MAX_PROCEDURES,
    DiagnosisLine,
    EncounterCoding,
    ProcedureLine,
    ServiceLine,
)
from .codesets import (
    Code,
    CodeNote,
    CodeReference,
    CodeSet,
    CodeSystem,
    Drg,
    SeventhCharacter,
    dotted,
    undotted,
)

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_PROCEDURES",
    "Code",
    "CodeNote",
    "CodeReference",
    "CodeSet",
    "CodeSystem",
    "DiagnosisLine",
    "Drg",
    "EncounterCoding",
    "ProcedureLine",
    "SeventhCharacter",
    "ServiceLine",
    "dotted",
    "undotted",
]
