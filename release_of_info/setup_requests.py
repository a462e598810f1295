"""Wiring of the requests part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    from him import dashboard, demo, navigation, roles
    from records import access
    from release_of_info import hooks, requests_reports
    from release_of_info.models.requests import RequestLetter
    from release_of_info.requests_demo import seed_requests
    from release_of_info.roles_requests import PERMISSIONS
    from release_of_info.services.requests import identity_release_check

    roles.register(PERMISSIONS)
    access.register_patient_models(RequestLetter)

    navigation.register(
        navigation.NavItem(
            "Release of information",
            "release_of_info:roirequest-list",
            "release_of_info.view_roirequest",
            "Requests for records: the work list, due dates in red as they near.",
            order=50,
        )
    )
    navigation.register(
        navigation.NavItem(
            "ROI dashboard",
            "release_of_info:dashboard",
            "release_of_info.view_roirequest",
            "Open, due in 7 days, overdue, median turnaround, by requester type.",
            order=51,
        )
    )
    navigation.register(
        navigation.NavItem(
            "ROI settings",
            "release_of_info:settings",
            "release_of_info.change_roifacilitysettings",
            "Each facility's time limit for answering requests (state law may shorten 30 days).",
            order=52,
        )
    )
    dashboard.register(
        dashboard.Tile(
            key="roi-requests-overdue",
            title="ROI requests past due",
            permission="release_of_info.view_roirequest",
            compute=_overdue_tile,
            order=50,
        )
    )
    hooks.register(hooks.RELEASE_CHECKS, identity_release_check)
    requests_reports.register()
    demo.register_seed(seed_requests)


def _overdue_tile(user) -> dict:
    from django.urls import reverse

    from release_of_info.services import requests_queries as queries

    figures = queries.dashboard(user)
    return {
        "value": figures["overdue"],
        "detail": f"{figures['open']} open, {figures['due_soon']} due within 7 days",
        "status": "alert" if figures["overdue"] else ("warning" if figures["due_soon"] else "ok"),
        "url": f"{reverse('release_of_info:roirequest-list')}?queue=overdue",
    }
