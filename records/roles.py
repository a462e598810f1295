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
