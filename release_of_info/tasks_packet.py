"""Celery entry point of the packet part. Thin: load by id, call the service.

Acknowledged late and rejected when its worker is lost, so a killed worker's
message is delivered again; the service's conditional claim makes a second
delivery harmless (the Packet row is the key).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from him.celery import app
from release_of_info.services import packet as services


@app.task(
    name="release_of_info.tasks_packet.build_packet",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=services.MAX_ATTEMPTS,
    soft_time_limit=600,
    time_limit=630,
    ignore_result=True,
)
def build_packet(packet_id: int) -> str:
    return services.packet_build(packet_id=packet_id)


@app.task(name="release_of_info.tasks_packet.requeue_stale_packets", ignore_result=True)
def requeue_stale_packets() -> int:
    """Beat, every minute: packets whose build was lost are enqueued again."""
    return len(services.packets_requeue_stale())
