"""One FilterSet for the deficiency work list and the deficiencies API."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from records.models import Deficiency, DeficiencyLetter


class DeficiencyFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="encounter__facility__code", label="Facility")
    provider = django_filters.CharFilter(field_name="provider__npi", label="Provider NPI")
    kind = django_filters.ChoiceFilter(choices=Deficiency.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Deficiency.Status.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Past due")
    encounter = django_filters.CharFilter(field_name="encounter__number", label="Visit number")

    class Meta:
        model = Deficiency
        fields = ["facility", "provider", "kind", "status", "overdue", "encounter"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        if value:
            return queryset.filter(status=Deficiency.Status.OPEN, due_at__lt=now)
        return queryset.exclude(status=Deficiency.Status.OPEN, due_at__lt=now)


class DeficiencyLetterFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="facility__code", label="Facility")
    provider = django_filters.CharFilter(field_name="provider__npi", label="Provider NPI")
    kind = django_filters.ChoiceFilter(choices=DeficiencyLetter.LetterKind.choices)
    letter_date = django_filters.DateFilter()

    class Meta:
        model = DeficiencyLetter
        fields = ["facility", "provider", "kind", "letter_date"]
