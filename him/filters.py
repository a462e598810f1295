from __future__ import annotations

import django_filters
from django import forms

from him.models import AccessEvent


class AccessEventFilterSet(django_filters.FilterSet):
    """The trail viewer's filters, shared by the page, the API and the CSV export.

    Dates are inclusive: "to 2026-11-23" includes everything on the 23rd.
    """

    user = django_filters.CharFilter(field_name="username", lookup_expr="iexact", label="User")
    patient = django_filters.CharFilter(
        method="filter_patient", label="Patient (enterprise id, MRN or id)"
    )
    action = django_filters.MultipleChoiceFilter(
        choices=AccessEvent.Action.choices, widget=forms.CheckboxSelectMultiple
    )
    object_type = django_filters.CharFilter(lookup_expr="iexact", label="Object type")
    object_id = django_filters.CharFilter(lookup_expr="iexact", label="Object id")
    outcome = django_filters.ChoiceFilter(choices=AccessEvent.Outcome.choices, empty_label="Any")
    date_from = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="To (date, inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.OrderingFilter(
        fields=(("seq", "seq"), ("at", "at"), ("username", "user"), ("action", "action")),
        label="Sort",
        empty_label="Newest first",
    )

    class Meta:
        model = AccessEvent
        fields = ["user", "patient", "action", "object_type", "object_id", "outcome"]

    def filter_patient(self, queryset, name, value):
        from him import patients

        return queryset.filter(patient_id__in=patients.resolve(value))

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.form.add_error("date_to", "The end date is before the start date.")
            return queryset.none()
        return super().filter_queryset(queryset)
