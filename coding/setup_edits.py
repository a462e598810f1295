"""Wiring of the edits part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    # Importing a check module registers its checks with the edit engine.
    from coding import hooks
    from coding.edits import (  # noqa: F401
        claim_rules,
        currency,
        lookup,
        mce,
        ncci,
        notes,
        validity,
    )
    from him import navigation

    hooks.register(hooks.CODESET_LOADED, lookup.forget)

    navigation.register(
        navigation.NavItem(
            label="Coding edits",
            url_name="coding:edit-catalog",
            permission="coding.view_code",
            description="Every coding edit: what it checks, its severity and its rule source.",
            order=64,
        )
    )
