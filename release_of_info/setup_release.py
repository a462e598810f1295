"""Wiring of the release part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    from django.urls import reverse

    from him import dashboard, demo, navigation, reports, roles
    from records import access, links
    from release_of_info import demo_release, hooks, panels
    from release_of_info.models import AccountingRequest, AccountingSuspension, Delivery, Disclosure
    from release_of_info.release_views import delivery_panel_context
    from release_of_info.reports_release import DisclosuresLogReport, accounting_overdue_tile
    from release_of_info.roles_release import PERMISSIONS
    from release_of_info.services.disclosures import on_released

    roles.register(PERMISSIONS)
    demo.register_seed(demo_release.seed)
    access.register_patient_models(Delivery, Disclosure, AccountingSuspension, AccountingRequest)
    hooks.register(hooks.RELEASED, on_released)
    hooks.register(hooks.RELEASE_BASIS, _released_under_authorization)
    panels.register(
        panels.Panel(
            key="delivery",
            title="Release and delivery",
            template="release_of_info/release/_panel.html",
            permission="release_of_info.view_delivery",
            context=delivery_panel_context,
            order=80,
        )
    )
    navigation.register(
        navigation.NavItem(
            "Disclosures",
            "release_of_info:disclosure-list",
            "release_of_info.view_disclosure",
            "The accounting of disclosures (164.528): the log, entries by hand, accountings.",
            order=62,
        )
    )
    reports.register(DisclosuresLogReport())
    links.register(
        links.Link(
            "roi-disclosures",
            links.PATIENT,
            "Accounting of disclosures",
            "release_of_info.view_disclosure",
            lambda patient: reverse(
                "release_of_info:patient-disclosures", args=[patient.enterprise_id]
            ),
            order=62,
        )
    )
    dashboard.register(
        dashboard.Tile(
            key="roi-accounting-overdue",
            title="Accounting requests overdue",
            permission="release_of_info.view_accountingrequest",
            compute=accounting_overdue_tile,
            order=62,
        )
    )


def _released_under_authorization(*, request) -> str | None:
    """RELEASE_BASIS: "authorization" when a valid authorization (not a 164.512 basis,
    not the right of access) is what permits the release."""
    from release_of_info.services.authorization import needs_no_authorization, verdict

    if needs_no_authorization(request) or hasattr(request, "disclosure_basis"):
        return None
    return "authorization" if verdict(request).valid else None
