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
