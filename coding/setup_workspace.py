"""Wiring of the workspace part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    from coding import hooks
    from coding.services import grouping

    # A newly loaded MS-DRG table must be what the next grouping reads.
    hooks.register(hooks.CODESET_LOADED, grouping.forget_facts)

    from django.urls import reverse

    from records import links

    links.register(
        links.Link(
            "coding-encounter",
            links.ENCOUNTER,
            "Code this encounter",
            "coding.change_encountercoding",
            lambda encounter: (
                reverse("coding:encounter-coding", args=[encounter.public_id])
                if encounter.discharge_at
                else None
            ),
            order=20,
        )
    )
