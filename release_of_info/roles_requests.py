"""Role permissions added by the requests part: request letters and the per-facility
ROI settings (the response time limit), which only the HIM manager changes."""

from him import roles

_LETTERS = ["release_of_info.view_requestletter"]
_SETTINGS_VIEW = ["release_of_info.view_roifacilitysettings"]

PERMISSIONS = {
    # The specialist runs the ROI reports (turnaround, by type) through the engine.
    roles.ROI_SPECIALIST: [
        *_LETTERS,
        *_SETTINGS_VIEW,
        "release_of_info.add_requestletter",
        "him.add_reportrun",
        "him.view_reportrun",
    ],
    roles.HIM_MANAGER: [
        *_LETTERS,
        *_SETTINGS_VIEW,
        "release_of_info.add_requestletter",
        "release_of_info.add_roifacilitysettings",
        "release_of_info.change_roifacilitysettings",
    ],
    roles.PRIVACY_OFFICER: [*_LETTERS, *_SETTINGS_VIEW],
    roles.AUDITOR: [*_LETTERS, *_SETTINGS_VIEW],
    roles.INTEGRATION: [*_LETTERS],
}
