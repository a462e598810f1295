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

# Chart completion (deficiencies). A separate dict, not appended to PERMISSIONS:
# migration 0002 imports PERMISSIONS and would look for permissions whose models
# do not exist yet at that point. Granted by 0003_deficiencies and registered in
# RecordsConfig.ready() (kept in step after every migrate).
DEFICIENCY_PERMISSIONS = {
    roles.HIM_TECHNICIAN: [
        "records.view_deficiency",
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
