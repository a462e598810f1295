"""Trail rows for per-patient and per-document grants changed outside our services.

The grants screen and API call records.services.access, which writes the row
itself; a change made in the admin or a shell reaches the trail through these
receivers (the same pattern as him/signals.py for facility grants).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from records import access
from records.models import (
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    PatientGroupObjectPermission,
    PatientUserObjectPermission,
)


def _record(grant, *, granted: bool) -> None:
    if access.in_service():
        return
    from records.services.access import grant_trail

    grant_trail(grant, granted=granted, via="outside the grants screen")


@receiver(post_save, sender=PatientUserObjectPermission)
@receiver(post_save, sender=PatientGroupObjectPermission)
@receiver(post_save, sender=DocumentUserObjectPermission)
@receiver(post_save, sender=DocumentGroupObjectPermission)
def _on_grant_saved(sender, instance, created, **kwargs):
    _record(instance, granted=True)


@receiver(post_delete, sender=PatientUserObjectPermission)
@receiver(post_delete, sender=PatientGroupObjectPermission)
@receiver(post_delete, sender=DocumentUserObjectPermission)
@receiver(post_delete, sender=DocumentGroupObjectPermission)
def _on_grant_deleted(sender, instance, **kwargs):
    _record(instance, granted=False)
