"""One FilterSet for the request work list, its API and exports; one for requesters."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from him import policy
from him.models import Facility
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests_queries as queries


class ROIRequestFilterSet(django_filters.FilterSet):
    QUEUES = [
        ("open", "Open"),
        ("due_soon", "Due within 7 days"),
        ("overdue", "Overdue"),
        ("closed", "Closed"),
        ("all", "All, open and closed"),
    ]

    q = django_filters.CharFilter(method="by_number", label="Request number")
    queue = django_filters.ChoiceFilter(choices=QUEUES, method="in_queue", label="Queue")
    status = django_filters.MultipleChoiceFilter(choices=ROIRequest.Status.choices)
    requester_type = django_filters.ChoiceFilter(
        field_name="requester__type", choices=Requester.Type.choices, label="Requester type"
    )
    assigned = django_filters.CharFilter(
        method="by_assignee", label="Assigned to (username, “me” or “none”)"
    )
    facility = django_filters.ModelChoiceFilter(
        queryset=Facility.objects.none(), to_field_name="code", label="Facility"
    )
    patient = django_filters.CharFilter(method="by_patient", label="Patient (enterprise id or MRN)")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = ROIRequest
        fields = ["q", "queue", "status", "requester_type", "assigned", "facility", "patient"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        ids = policy.facility_ids(user) if user and user.is_authenticated else []
        self.filters["facility"].queryset = Facility.objects.filter(pk__in=ids).order_by("code")

    def by_number(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(number__icontains=value) if value else queryset

    def in_queue(self, queryset, name, value):
        today = timezone.localdate()
        if value == "open":
            return queries.open_requests(queryset)
        if value == "due_soon":
            return queries.due_soon(queryset, today)
        if value == "overdue":
            return queries.overdue(queryset, today)
        if value == "closed":
            return queryset.filter(status__in=ROIRequest.CLOSED)
        return queryset

    def by_assignee(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.lower() == "me":
            user = getattr(self.request, "user", None)
            return queryset.filter(assigned_to_id=getattr(user, "pk", None))
        if value.lower() == "none":
            return queryset.filter(assigned_to__isnull=True)
        users = get_user_model().objects.filter(username__iexact=value)
        return queryset.filter(assigned_to__in=users)

    def by_patient(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(patient__enterprise_id__iexact=value) | Q(patient__mrn__iexact=value)
        )


class RequesterFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, organization or email")
    type = django_filters.ChoiceFilter(choices=Requester.Type.choices)

    class Meta:
        model = Requester
        fields = ["q", "type"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(organization__icontains=value) | Q(email__icontains=value)
        )
