from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag(takes_context=True)
def active_break_glass(context, patient):
    """The viewer's active emergency access to ``patient``, if any (for the chart banner)."""
    from records.models import BreakGlassAccess

    request = context.get("request")
    if request is None or not getattr(patient, "is_restricted", False):
        return None
    now = timezone.now()
    return (
        BreakGlassAccess.objects.filter(
            user_id=request.user.pk, patient=patient, started_at__lte=now, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )
