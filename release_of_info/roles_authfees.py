"""What each role may do with authorizations, disclosure bases, fees and invoices.

Fee policies and schedules are the HIM manager's (with ``manage_fees``); the ROI
specialist files authorizations and settles invoices; the others read.
"""

from him import roles

_VIEW = [
    "release_of_info.view_authorization",
    "release_of_info.view_disclosurebasis",
    "release_of_info.view_invoice",
    "release_of_info.view_feepolicy",
    "release_of_info.view_feeschedule",
]
_WORK = [
    *_VIEW,
    "release_of_info.add_authorization",
    "release_of_info.change_authorization",
    "release_of_info.add_disclosurebasis",
    "release_of_info.change_disclosurebasis",
    "release_of_info.add_invoice",
    "release_of_info.change_invoice",
]
_MANAGE_FEES = [
    "release_of_info.add_feepolicy",
    "release_of_info.change_feepolicy",
    "release_of_info.add_feeschedule",
    "release_of_info.change_feeschedule",
    "release_of_info.delete_feeschedule",
]

PERMISSIONS = {
    roles.ROI_SPECIALIST: _WORK,
    roles.HIM_MANAGER: [*_WORK, *_MANAGE_FEES],
    roles.PRIVACY_OFFICER: _VIEW,
    roles.AUDITOR: _VIEW,
    roles.INTEGRATION: _VIEW,
}
