"""Wiring of the codesets part (navigation, roles), called from the AppConfig.ready()."""


def ready() -> None:
    from coding.roles_codesets import PERMISSIONS
    from him import navigation, roles

    roles.register(PERMISSIONS)
    navigation.register(
        navigation.NavItem(
            "Code sets",
            "coding:codeset-list",
            "coding.view_codeset",
            "Loaded ICD-10-CM, ICD-10-PCS, MS-DRG, HCPCS, CPT and NCCI versions; import a file.",
            order=65,
        )
    )
