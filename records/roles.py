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
