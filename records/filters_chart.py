"""FilterSets of the chart's models: one each for list pages, API and exports."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from records.models import Encounter, IdentifierSystem, PatientIdentifier, Provider


class EncounterFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="facility__code", label="Facility code")
    patient = django_filters.CharFilter(
        field_name="patient__enterprise_id", lookup_expr="iexact", label="Patient enterprise id"
    )
    encounter_class = django_filters.ChoiceFilter(choices=Encounter.Class.choices, label="Class")
    status = django_filters.ChoiceFilter(choices=Encounter.Status.choices)
    admitted_from = django_filters.DateFilter(
        field_name="admit_at", lookup_expr="date__gte", label="Admitted from"
    )
    admitted_to = django_filters.DateFilter(
        field_name="admit_at", lookup_expr="date__lte", label="Admitted to"
    )
    discharged_from = django_filters.DateFilter(
        field_name="discharge_at", lookup_expr="date__gte", label="Discharged from"
    )
    discharged_to = django_filters.DateFilter(
        field_name="discharge_at", lookup_expr="date__lte", label="Discharged to"
    )
    attending = django_filters.CharFilter(field_name="attending__npi", label="Attending NPI")
    number = django_filters.CharFilter(lookup_expr="iexact", label="Visit number")

    class Meta:
        model = Encounter
        fields = [
            "facility",
            "patient",
            "encounter_class",
            "status",
            "admitted_from",
            "admitted_to",
            "discharged_from",
            "discharged_to",
            "attending",
            "number",
        ]


class IdentifierFilterSet(django_filters.FilterSet):
    patient = django_filters.CharFilter(
        field_name="patient__enterprise_id", lookup_expr="iexact", label="Patient enterprise id"
    )
    system = django_filters.CharFilter(field_name="system__code", lookup_expr="iexact")
    value = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = PatientIdentifier
        fields = ["patient", "system", "value"]


class IdentifierSystemFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="facility__code", label="Facility code")

    class Meta:
        model = IdentifierSystem
        fields = ["kind", "facility", "active"]


class ProviderFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or NPI")

    class Meta:
        model = Provider
        fields = ["q", "npi", "specialty", "active"]

    def search(self, queryset, name, value):
        terms = [t for t in value.replace(",", " ").split() if t]
        condition = Q()
        for term in terms:
            condition &= (
                Q(family_name__istartswith=term) | Q(given_name__istartswith=term) | Q(npi=term)
            )
        return queryset.filter(condition)
