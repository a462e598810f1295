"""Wiring of the requests part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    from him import dashboard, demo, navigation, roles
    from records import access
    from release_of_info import requests_reports
    from release_of_info.models.requests import RequestLetter
    from release_of_info.requests_demo import seed_requests
    from release_of_info.roles_requests import PERMISSIONS

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
    _chart_links()
    # Identity before release is the authorization verdict's rule (setup_authfees):
    # one check, one message.
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


def _chart_links() -> None:
    """ "New ROI request" and "ROI requests" on the patient's chart (records' links seam,
    when the records app has it)."""
    try:
        from records import links
    except ImportError:  # an older records app without the seam: nothing to add
        return
    from django.urls import reverse
    from django.utils.http import urlencode

    def new_request(patient) -> str:
        return f"{reverse('release_of_info:roirequest-create')}?{urlencode({'patient': patient.enterprise_id})}"

    def requests_of(patient) -> str:
        query = urlencode({"patient": patient.enterprise_id, "queue": "all"})
        return f"{reverse('release_of_info:roirequest-list')}?{query}"

    links.register(
        links.Link(
            key="roi-new-request",
            on=links.PATIENT,
            label="New ROI request",
            permission="release_of_info.add_roirequest",
            url=new_request,
            order=60,
        )
    )
    links.register(
        links.Link(
            key="roi-requests",
            on=links.PATIENT,
            label="ROI requests",
            permission="release_of_info.view_roirequest",
            url=requests_of,
            order=61,
        )
    )
