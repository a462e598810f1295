"""One FilterSet for the DNFB queue page, the queue API and the queries list."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F

from coding.models import EncounterCoding, PhysicianQuery
from coding.services import queue as services
from records.models import Encounter

PENDING_CHOICES = [
    ("none", "Not pending"),
    *[(v, label) for v, label in EncounterCoding.Pending.choices if v],
]

SORTS = {
    "oldest": ("discharge_at", "pk"),
    "newest": ("-discharge_at", "-pk"),
    "weight": (F("expected_weight").desc(nulls_last=True), "discharge_at", "pk"),
    "facility": ("facility__code", "discharge_at", "pk"),
    "class": ("encounter_class", "discharge_at", "pk"),
    "coder": (F("coder_username").asc(nulls_last=True), "discharge_at", "pk"),
}
SORT_CHOICES = [
    ("oldest", "Oldest discharge first"),
    ("newest", "Newest discharge first"),
    ("weight", "Highest expected weight first"),
    ("facility", "Facility"),
    ("class", "Class"),
    ("coder", "Coder"),
]


class DnfbFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(
        field_name="facility__code", lookup_expr="iexact", label="Facility"
    )
    encounter_class = django_filters.ChoiceFilter(
        choices=Encounter.Class.choices, label="Class", empty_label="Any"
    )
    coder = django_filters.CharFilter(
        field_name="coding__assigned_coder__username", lookup_expr="iexact", label="Coder"
    )
    unassigned = django_filters.BooleanFilter(
        method="filter_unassigned",
        label="Unassigned only",
        widget=forms.CheckboxInput,
    )
    pending = django_filters.ChoiceFilter(
        choices=PENDING_CHOICES, method="filter_pending", label="Pending", empty_label="Any"
    )
    age = django_filters.ChoiceFilter(
        choices=services.AGE_BUCKET_CHOICES,
        method="filter_age",
        label="Days since discharge",
        empty_label="Any",
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label="Sort", empty_label="Oldest first"
    )

    class Meta:
        model = Encounter
        fields = ["facility", "encounter_class", "coder", "unassigned", "pending", "age", "sort"]

    def filter_unassigned(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(coding__assigned_coder__isnull=True)

    def filter_pending(self, queryset, name, value):
        return queryset.filter(pending="" if value == "none" else value)

    def filter_age(self, queryset, name, value):
        start, end = services.age_bounds(value)
        queryset = queryset.filter(discharge_at__lt=end)
        return queryset.filter(discharge_at__gte=start) if start else queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["oldest"]))

    @property
    def qs(self):
        queryset = super().qs
        if not (self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("sort")):
            queryset = queryset.order_by(*SORTS["oldest"])
        return queryset


class PhysicianQueryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PhysicianQuery.Status.choices, empty_label="Any")
    provider = django_filters.CharFilter(field_name="provider__npi", label="Provider NPI")
    facility = django_filters.CharFilter(
        field_name="coding__encounter__facility__code", lookup_expr="iexact", label="Facility"
    )
    encounter = django_filters.CharFilter(
        field_name="coding__encounter__number", label="Visit number"
    )
    coding = django_filters.UUIDFilter(field_name="coding__public_id", label="Coding id")

    class Meta:
        model = PhysicianQuery
        fields = ["status", "provider", "facility", "encounter", "coding"]
