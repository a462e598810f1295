"""One FilterSet for the amendment work queue, its API and exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from records.models import AmendmentRequest


class AmendmentRequestFilterSet(django_filters.FilterSet):
    QUEUES = [
        ("open", "Open"),
        ("due_soon", "Due soon"),
        ("overdue", "Overdue"),
        ("decided", "Decided"),
    ]

    queue = django_filters.ChoiceFilter(choices=QUEUES, method="in_queue", label="Queue")
    status = django_filters.ChoiceFilter(choices=AmendmentRequest.Status.choices)
    patient = django_filters.CharFilter(
        method="for_patient", label="Patient (enterprise id or MRN)"
    )
    denial_basis = django_filters.ChoiceFilter(
        choices=AmendmentRequest.DenialBasis.choices, label="Denial basis"
    )
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = AmendmentRequest
        fields = ["queue", "status", "patient", "denial_basis"]

    def in_queue(self, queryset, name, value):
        today = timezone.localdate()
        if value == "open":
            return queryset.open()
        if value == "due_soon":
            return queryset.due_soon(today)
        if value == "overdue":
            return queryset.overdue(today)
        if value == "decided":
            return queryset.filter(
                status__in=[AmendmentRequest.Status.ACCEPTED, AmendmentRequest.Status.DENIED]
            )
        return queryset

    def for_patient(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(patient__enterprise_id__iexact=value) | Q(patient__mrn__iexact=value)
        )
