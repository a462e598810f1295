"""Template tags that put amendment requests beside the record they concern."""

from __future__ import annotations

from django import template

from records.selectors.amendments import amendments_for_document, amendments_for_patient

register = template.Library()


@register.simple_tag(takes_context=True)
def patient_amendments(context, patient):
    """The patient's requests the signed-in user may see (none without the permission)."""
    request = context.get("request")
    if request is None or patient is None:
        return []
    return list(amendments_for_patient(patient, request.user))


@register.simple_tag(takes_context=True)
def document_amendments(context, document):
    request = context.get("request")
    if request is None or document is None:
        return []
    return list(amendments_for_document(document, request.user))
