"""The chart's documents section: ``{% chart_documents patient as docs %}``."""

from __future__ import annotations

from django import template

from him import trail
from him.trail import Action

register = template.Library()


@register.simple_tag(takes_context=True)
def chart_documents(context, patient, limit: int = 25):
    """The patient's documents the viewer may see (not entered in error), newest first.

    Listing them is a read of those documents: one trail row naming what was shown.
    """
    from records.views.documents import patient_documents

    request = context.get("request")
    if request is None or not request.user.has_perm("records.view_document"):
        return None
    documents = list(patient_documents(request.user, patient, limit))
    trail.record(
        Action.READ,
        object_type="records.document",
        patient_id=patient.pk,
        facility_id=patient.facility_id,
        detail={"chart": patient.enterprise_id, "shown": [d.public_ref for d in documents]},
    )
    return documents
