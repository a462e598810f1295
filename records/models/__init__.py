from .access import BREAK_GLASS_HOURS, BreakGlassAccess
from .amendments import AmendmentRequest
from .document_intake import DocumentStatusChange, ScanUpload, TranscriptionTemplate
from .documents import CATEGORY_PERMISSIONS, Document, DocumentVersion, Sensitivity
from .encounters import Encounter
from .grants import (
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    PatientGroupObjectPermission,
    PatientUserObjectPermission,
)
from .patients import IdentifierSystem, Patient, PatientIdentifier
from .providers import Provider

__all__ = [
    "BREAK_GLASS_HOURS",
    "BreakGlassAccess",
    "AmendmentRequest",
    "CATEGORY_PERMISSIONS",
    "DocumentGroupObjectPermission",
    "DocumentUserObjectPermission",
    "PatientGroupObjectPermission",
    "PatientUserObjectPermission",
    "Sensitivity",
    "Document",
    "DocumentVersion",
    "Encounter",
    "IdentifierSystem",
    "Patient",
    "PatientIdentifier",
    "Provider",
    "DocumentStatusChange",
    "ScanUpload",
    "TranscriptionTemplate",
]
from .deficiencies import (  # noqa: E402
    Deficiency,
    DeficiencyLetter,
    DeficiencyReply,
    DeficiencyRule,
)

__all__ += ["Deficiency", "DeficiencyLetter", "DeficiencyReply", "DeficiencyRule"]
