"""Role permissions of the release part: deliveries, disclosures, the accounting."""

from him import roles

_VIEW = [
    "release_of_info.view_delivery",
    "release_of_info.view_disclosure",
    "release_of_info.view_accountingsuspension",
    "release_of_info.view_accountingrequest",
]
_ACCOUNTING = [
    "release_of_info.add_disclosure",
    "release_of_info.add_accountingrequest",
    "release_of_info.change_accountingrequest",
]
_DELIVER = ["release_of_info.add_delivery", "release_of_info.change_delivery"]

PERMISSIONS = {
    roles.ROI_SPECIALIST: [*_VIEW, *_ACCOUNTING, *_DELIVER],
    roles.HIM_MANAGER: [
        *_VIEW,
        *_ACCOUNTING,
        *_DELIVER,
        "release_of_info.add_accountingsuspension",
    ],
    # Suspensions come from oversight agencies and law enforcement: the privacy office.
    roles.PRIVACY_OFFICER: [*_VIEW, *_ACCOUNTING, "release_of_info.add_accountingsuspension"],
    roles.AUDITOR: _VIEW,
    roles.INTEGRATION: ["release_of_info.view_delivery", "release_of_info.view_disclosure"],
}
