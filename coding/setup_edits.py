"""Wiring of the edits part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""

# Importing a check module registers its checks with the edit engine: they run in
# this order.
CHECK_MODULES = ("validity", "claim_rules", "currency", "mce", "ncci", "notes")


def ready() -> None:
    import importlib

    from django.db.models.signals import post_delete, post_save

    from coding import hooks
    from coding.edits import lookup
    from coding.models import CodeSet
    from him import navigation

    for module in CHECK_MODULES:
        importlib.import_module(f"coding.edits.{module}")

    hooks.register(hooks.CODESET_LOADED, lookup.forget)
    # The versions in force per date are kept too: a version added, redated or
    # removed in this process is seen at once (another process's: after SETS_TTL).
    post_save.connect(lookup.forget, sender=CodeSet, dispatch_uid="edits-codeset-saved")
    post_delete.connect(lookup.forget, sender=CodeSet, dispatch_uid="edits-codeset-deleted")

    navigation.register(
        navigation.NavItem(
            label="Coding edits",
            url_name="coding:edit-catalog",
            permission="coding.view_code",
            description="Every coding edit: what it checks, its severity and its rule source.",
            order=64,
        )
    )
