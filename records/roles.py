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
