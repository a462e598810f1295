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
    CodeSetImport,
    CodeSystem,
    Drg,
    MueLimit,
    NcciPair,
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
    "CodeSetImport",
    "CodeSystem",
    "DiagnosisLine",
    "Drg",
    "MueLimit",
    "NcciPair",
    "EncounterCoding",
    "ProcedureLine",
    "SeventhCharacter",
    "ServiceLine",
    "dotted",
    "undotted",
]

# Each part's own models; its module's __all__ names them.
from . import queue, search, workspace  # noqa: E402
from .queue import *  # noqa: E402, F403
from .search import *  # noqa: E402, F403
from .workspace import *  # noqa: E402, F403

__all__ += [*queue.__all__, *search.__all__, *workspace.__all__]
