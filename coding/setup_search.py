"""Wiring of the search part, called from the AppConfig.ready(): the index is
rebuilt whenever a code set is loaded, and the "Code search" screen is in the
navigation of every role that may read code sets."""


def ready() -> None:
    from coding import hooks
    from coding.services.search import on_codeset_loaded
    from him import navigation

    hooks.register(hooks.CODESET_LOADED, on_codeset_loaded)
    navigation.register(
        navigation.NavItem(
            "Code search",
            "coding:code-search",
            "coding.view_code",
            "Find ICD-10-CM, ICD-10-PCS, CPT and HCPCS codes; notes, hierarchy, tabular list.",
            order=30,
        )
    )
