"""What each HIM role may do with the release-of-information models.

Each part of the app keeps its own dict, granted by that part's data migration
and registered from ``ReleaseOfInfoConfig.ready()`` (roles.sync keeps them in step).
"""

from him import roles

_VIEW = [
    "release_of_info.view_requester",
    "release_of_info.view_roirequest",
    "release_of_info.view_requestdocument",
    "release_of_info.view_redaction",
    "release_of_info.view_packet",
]
_WRITE = [
    *_VIEW,
    "release_of_info.add_requester",
    "release_of_info.change_requester",
    "release_of_info.add_roirequest",
    "release_of_info.change_roirequest",
    "release_of_info.add_requestdocument",
    "release_of_info.change_requestdocument",
    "release_of_info.delete_requestdocument",
    "release_of_info.add_redaction",
    "release_of_info.delete_redaction",
    "release_of_info.add_packet",
    "release_of_info.change_packet",
    "release_of_info.download_packet",
]

PERMISSIONS = {
    roles.ROI_SPECIALIST: [
        *_WRITE,
        "release_of_info.approve_roirequest",
        "release_of_info.release_roirequest",
        "release_of_info.deny_roirequest",
    ],
    roles.HIM_MANAGER: [
        *_WRITE,
        "release_of_info.approve_roirequest",
        "release_of_info.release_roirequest",
        "release_of_info.deny_roirequest",
        "release_of_info.manage_fees",
    ],
    roles.PRIVACY_OFFICER: [*_VIEW, "release_of_info.deny_roirequest"],
    roles.AUDITOR: _VIEW,
    roles.INTEGRATION: _VIEW,
}
