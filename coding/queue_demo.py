"""The queue's part of the demo data set: some discharged encounters get their
coding rows, a few are assigned to the demo coder, one waits for documentation,
and the demo physician has a query to answer and one answered. Synthetic only;
idempotent (does nothing once a query exists)."""

from __future__ import annotations

from django.db import transaction

from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.services import queue as queue_services
from coding.services import queue_queries
from coding.services.encounters import coding_for
from him.models import User
from records.models import Encounter, Provider


@transaction.atomic
def seed_queue(*, facilities, patients_per_facility: int = 40, rng_seed: int = 7) -> None:
    if PhysicianQuery.objects.exists() or not facilities:
        return
    coder = User.objects.filter(username="coder").first()
    physician = User.objects.filter(username="physician").first()
    provider = Provider.objects.filter(user=physician).first() if physician else None
    encounters = list(
        Encounter.objects.filter(facility=facilities[0], discharge_at__isnull=False)
        .exclude(status=Encounter.Status.CANCELLED)
        .order_by("discharge_at", "pk")[:12]
    )
    if not encounters:
        return
    codings = [coding_for(e) for e in encounters]
    if coder is not None:
        for coding in codings[1:4]:
            coding.assigned_coder = coder
            coding.status = EncounterCoding.Status.DRAFT
            coding.save(update_fields=["assigned_coder", "status", "updated_at"])
    queue_services.coding_set_pending(
        coding=codings[4], reason=EncounterCoding.Pending.DOCUMENTATION, user=None
    )
    if provider is None:
        return
    templates = {t.key: t for t in QueryTemplate.objects.filter(active=True)}
    anemia, sodium = templates.get("anemia-type"), templates.get("sodium-clinical-significance")
    if anemia is not None:
        query = queue_queries.query_create(
            coding=codings[1],
            provider=provider,
            template=anemia,
            clinical_indicators=(
                "Hemoglobin 11.8 g/dL on admission, 8.1 g/dL on day 2 after surgery "
                "(lab results); 1 unit packed red cells transfused on day 2 (nursing notes)."
            ),
            user=coder,
        )
        queue_queries.query_send(query=query, user=coder)
    if sodium is not None:
        query = queue_queries.query_create(
            coding=codings[2],
            provider=provider,
            template=sodium,
            clinical_indicators=(
                "Sodium 127, 129 and 133 mmol/L on days 1-3 (lab results); fluid restriction "
                "1.5 L/day ordered (physician orders)."
            ),
            user=coder,
        )
        queue_queries.query_send(query=query, user=coder)
        queue_queries.query_answer(query=query, user=physician, option="Hyponatremia")
