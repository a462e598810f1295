"""The chart's deficiencies section reads through the access policy, like any view."""

from __future__ import annotations

from django import template

from records.models import Deficiency

register = template.Library()


@register.simple_tag(takes_context=True)
def chart_deficiencies(context, patient, limit: int = 50) -> list[Deficiency]:
    request = context.get("request")
    if request is None or patient is None:
        return []
    return list(
        Deficiency.objects.visible_to(request.user)
        .filter(encounter__patient=patient)
        .exclude(status=Deficiency.Status.COMPLETED)
        .with_delinquency()
        .select_related("encounter", "document", "provider")
        .order_by("due_at", "pk")[:limit]
    )
