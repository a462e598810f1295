"""Wiring of the codesets part (navigation, roles), called from the AppConfig.ready()."""


def ready() -> None:
    from coding import tasks_codesets  # noqa: F401  (registers the tasks with Celery)
    from coding.roles_codesets import PERMISSIONS
    from him import navigation, roles
    from him.celery import app

    roles.register(PERMISSIONS)
    app.conf.beat_schedule["coding-requeue-stale-imports"] = {
        "task": "coding.tasks_codesets.requeue_stale_imports",
        "schedule": 60.0,
    }
    navigation.register(
        navigation.NavItem(
            "Code sets",
            "coding:codeset-list",
            "coding.view_codeset",
            "Loaded ICD-10-CM, ICD-10-PCS, MS-DRG, HCPCS, CPT and NCCI versions; import a file.",
            order=65,
        )
    )
