"""What each HIM role may do with the records app's models."""

from him import roles

PERMISSIONS = {
    roles.HIM_TECHNICIAN: [
        "records.view_patient",
        "records.add_patient",
        "records.change_patient",
    ],
    roles.CODER: ["records.view_patient"],
    roles.ROI_SPECIALIST: ["records.view_patient"],
    roles.AUDITOR: ["records.view_patient"],
    roles.HIM_MANAGER: ["records.view_patient"],
    roles.PRIVACY_OFFICER: ["records.view_patient"],
    roles.PHYSICIAN: ["records.view_patient"],
    roles.INTEGRATION: [
        "records.view_patient",
        "records.add_patient",
        "records.change_patient",
    ],
}

# Restricted records and break-the-glass (records/access.py). Kept apart from
# PERMISSIONS because records' first data migration grants that dict before the
# break-the-glass model exists; these reach the roles through roles.sync after
# every migrate. Integration (a machine) gets no break-the-glass: it has no
# clinical reason to give.
_BREAK_GLASS = ["records.add_breakglassaccess", "records.view_breakglassaccess"]
ACCESS_PERMISSIONS = {
    roles.HIM_TECHNICIAN: _BREAK_GLASS,
    roles.CODER: _BREAK_GLASS,
    roles.ROI_SPECIALIST: _BREAK_GLASS,
    roles.AUDITOR: _BREAK_GLASS,
    roles.HIM_MANAGER: _BREAK_GLASS,
    roles.PHYSICIAN: _BREAK_GLASS,
    roles.PRIVACY_OFFICER: [
        *_BREAK_GLASS,
        "records.review_breakglassaccess",
        "records.view_patientuserobjectpermission",
        "records.add_patientuserobjectpermission",
        "records.delete_patientuserobjectpermission",
        "records.view_documentuserobjectpermission",
        "records.add_documentuserobjectpermission",
        "records.delete_documentuserobjectpermission",
    ],
}

# Chart completion (deficiencies). A separate dict, not appended to PERMISSIONS:
# migration 0002 imports PERMISSIONS and would look for permissions whose models
# do not exist yet at that point. Granted by 0003_deficiencies and registered in
# RecordsConfig.ready() (kept in step after every migrate).
DEFICIENCY_PERMISSIONS = {
    roles.HIM_TECHNICIAN: [
        "records.view_deficiency",
        "records.add_deficiency",
        "records.change_deficiency",
        "records.view_deficiencyrule",
        "records.view_deficiencyletter",
    ],
    roles.PHYSICIAN: ["records.view_deficiency", "records.view_deficiencyletter"],
    roles.HIM_MANAGER: [
        "records.view_deficiency",
        "records.waive_deficiency",
        "records.view_delinquency",
        "records.view_deficiencyrule",
        "records.view_deficiencyletter",
    ],
    roles.AUDITOR: ["records.view_deficiency", "records.view_deficiencyrule"],
}

# Amendments (45 CFR 164.526): technicians record and extend; the HIM manager and
# the privacy officer also decide. They see the documents a request concerns.
# Kept apart from PERMISSIONS, which migration 0002 grants before the model exists;
# roles.sync (after every migrate) grants these.
_AMENDMENTS = ["records.view_amendmentrequest", "records.view_document"]
_AMENDMENTS_WRITE = [
    *_AMENDMENTS,
    "records.add_amendmentrequest",
    "records.change_amendmentrequest",
]
AMENDMENT_PERMISSIONS = {
    roles.HIM_TECHNICIAN: _AMENDMENTS_WRITE,
    roles.HIM_MANAGER: [*_AMENDMENTS_WRITE, "records.decide_amendment"],
    roles.PRIVACY_OFFICER: [*_AMENDMENTS_WRITE, "records.decide_amendment"],
    roles.AUDITOR: _AMENDMENTS,
}

# Documents, scanning intake and transcription (the documents part). Registered from
# ready() and granted by roles.sync after migrate: not through 0002's data migration,
# which runs before these models exist.
DOCUMENT_PERMISSIONS = {
    roles.HIM_TECHNICIAN: [
        "records.view_document",
        "records.add_document",
        "records.change_document",
        "records.view_documentversion",
        "records.view_scanupload",
        "records.add_scanupload",
        "records.change_scanupload",
        "records.view_transcriptiontemplate",
        "records.transcribe",
    ],
    roles.CODER: [
        "records.view_document",
    ],
    roles.ROI_SPECIALIST: [
        "records.view_document",
    ],
    roles.AUDITOR: [
        "records.view_document",
    ],
    roles.HIM_MANAGER: [
        "records.view_document",
        "records.view_scanupload",  # watches the scanning backlog
    ],
    roles.PRIVACY_OFFICER: [
        "records.view_document",
    ],
    roles.PHYSICIAN: [
        "records.view_document",
        "records.sign_document",
    ],
    roles.INTEGRATION: [
        "records.view_document",
        "records.add_document",
    ],
}
# The chart: identifiers, identifier systems, encounters, providers; full SSNs.
# Full SSNs (records.view_ssn) for MPI work (HIM technician) and release of
# information (ROI specialist) only; everyone else sees ***-**-1234.
_CHART_VIEW = [
    "records.view_patientidentifier",
    "records.view_identifiersystem",
    "records.view_encounter",
    "records.view_provider",
]
_CHART = {
    roles.HIM_TECHNICIAN: [
        *_CHART_VIEW,
        "records.view_ssn",
        "records.add_patientidentifier",
        "records.change_patientidentifier",
        "records.delete_patientidentifier",
        "records.add_encounter",
        "records.change_encounter",
        "records.add_provider",
        "records.change_provider",
    ],
    roles.CODER: _CHART_VIEW,
    roles.ROI_SPECIALIST: [*_CHART_VIEW, "records.view_ssn"],
    roles.AUDITOR: _CHART_VIEW,
    roles.HIM_MANAGER: [*_CHART_VIEW, "records.add_provider", "records.change_provider"],
    roles.PRIVACY_OFFICER: _CHART_VIEW,
    roles.PHYSICIAN: _CHART_VIEW,
    roles.SYSTEM_ADMINISTRATOR: [
        "records.view_identifiersystem",
        "records.add_identifiersystem",
        "records.change_identifiersystem",
    ],
    roles.INTEGRATION: [
        *_CHART_VIEW,
        "records.add_patientidentifier",
        "records.change_patientidentifier",
        "records.add_encounter",
        "records.change_encounter",
    ],
}
for _role, _perms in _CHART.items():
    PERMISSIONS.setdefault(_role, []).extend(p for p in _perms if p not in PERMISSIONS[_role])
