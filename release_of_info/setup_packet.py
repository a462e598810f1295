"""Wiring of the packet part (tasks, navigation, panels), called from the AppConfig.ready()."""


def ready() -> None:
    from him import navigation
    from him.celery import app
    from release_of_info import (
        panels,
        tasks_packet,  # noqa: F401  (registers the task with Celery)
    )
    from release_of_info.packet_views import documents_panel_context, packet_panel_context

    app.conf.beat_schedule["roi-requeue-stale-packets"] = {
        "task": "release_of_info.tasks_packet.requeue_stale_packets",
        "schedule": 60.0,
    }
    panels.register(
        panels.Panel(
            key="documents",
            title="Documents to release",
            template="release_of_info/packet/_documents_panel.html",
            permission="release_of_info.view_requestdocument",
            context=documents_panel_context,
            order=30,
        )
    )
    panels.register(
        panels.Panel(
            key="packet",
            title="Packet and quality check",
            template="release_of_info/packet/_packet_panel.html",
            permission="release_of_info.view_packet",
            context=packet_panel_context,
            order=60,
        )
    )
    navigation.register(
        navigation.NavItem(
            "ROI quality check",
            "release_of_info:qa-queue",
            "release_of_info.approve_roirequest",
            "Packets waiting for a second person's check before release.",
            order=61,
        )
    )
