"""What each HIM role may do with the coding app's models.

Each part of the app keeps its own dict, granted by that part's data migration
and registered from ``CodingConfig.ready()`` (roles.sync keeps them in step).
"""

from him import roles

_CODESETS_VIEW = ["coding.view_codeset", "coding.view_code", "coding.view_drg"]
_CODING_VIEW = [
    "coding.view_encountercoding",
    "coding.view_diagnosisline",
    "coding.view_procedureline",
    "coding.view_serviceline",
]
_CODING_WRITE = [
    *_CODING_VIEW,
    "coding.change_encountercoding",
    "coding.add_diagnosisline",
    "coding.change_diagnosisline",
    "coding.delete_diagnosisline",
    "coding.add_procedureline",
    "coding.change_procedureline",
    "coding.delete_procedureline",
    "coding.add_serviceline",
    "coding.change_serviceline",
    "coding.delete_serviceline",
    "coding.finalize_encountercoding",
]

PERMISSIONS = {
    roles.CODER: [*_CODESETS_VIEW, *_CODING_WRITE],
    roles.AUDITOR: [*_CODESETS_VIEW, *_CODING_VIEW],
    roles.HIM_MANAGER: [*_CODESETS_VIEW, *_CODING_VIEW, "coding.assign_encountercoding"],
    roles.HIM_TECHNICIAN: _CODESETS_VIEW,
    roles.ROI_SPECIALIST: _CODESETS_VIEW,
    roles.PHYSICIAN: _CODESETS_VIEW,
    roles.PRIVACY_OFFICER: _CODESETS_VIEW,
    roles.SYSTEM_ADMINISTRATOR: _CODESETS_VIEW,
    roles.INTEGRATION: [*_CODESETS_VIEW, *_CODING_VIEW],
}
