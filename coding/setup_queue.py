"""Wiring of the queue part (navigation, hooks, panels, reports, tiles, roles),
called from the AppConfig.ready()."""


def ready() -> None:
    from coding import hooks
    from coding.models import PhysicianQuery
    from coding.roles_queue import PERMISSIONS
    from coding.services import queue_queries
    from him import dashboard, demo, navigation, reports, roles
    from records import access

    roles.register(PERMISSIONS)
    # A query reaches its patient like the chart does: restricted patients need a grant.
    access.register_patient_models(PhysicianQuery)

    hooks.register(hooks.FINALIZE_CHECKS, queue_queries.finalize_check)
    hooks.register(hooks.FINALIZED, queue_queries.on_finalized)

    for item in (
        navigation.NavItem(
            "Coding queue",
            "coding:queue",
            "coding.view_encountercoding",
            "Discharged, not final billed: charts to code, assign, take the next one.",
            order=50,
        ),
        navigation.NavItem(
            "Physician queries",
            "coding:query-list",
            "coding.add_physicianquery",
            "Documentation queries to providers: drafts, sent, answered.",
            order=51,
        ),
        navigation.NavItem(
            "My queries",
            "coding:query-inbox",
            "coding.answer_physicianquery",
            "Documentation questions from coding waiting for your answer.",
            order=33,
        ),
        navigation.NavItem(
            "Coder productivity",
            "coding:productivity",
            "coding.view_coding_productivity",
            "Charts finalized per day, by class and coder.",
            order=52,
        ),
        navigation.NavItem(
            "Query metrics",
            "coding:query-metrics",
            "coding.view_query_metrics",
            "Response time, agreement and DRG impact of physician queries, by provider.",
            order=53,
        ),
    ):
        navigation.register(item)

    from coding import queue_reports

    reports.register(queue_reports.DnfbReport())
    reports.register(queue_reports.ProductivityReport())
    dashboard.register(
        dashboard.Tile(
            "coding-dnfb",
            "DNFB charts",
            "coding.view_encountercoding",
            queue_reports.dnfb_tile,
            order=50,
        )
    )

    from coding import queue_admin  # noqa: F401  (registers the template admin)
    from coding.queue_demo import seed_queue

    demo.register_seed(seed_queue)
