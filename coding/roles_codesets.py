"""Who may load code-set files (the codesets part). Viewing code sets is in
``coding.roles`` for every role already."""

from him import roles

_IMPORT = ["coding.view_codeset", "coding.add_codeset", "coding.change_codeset"]

PERMISSIONS = {
    roles.HIM_MANAGER: _IMPORT,
    roles.SYSTEM_ADMINISTRATOR: _IMPORT,
}
