import django_filters
from django.db.models import Q

from records.models import Patient


class PatientFilterSet(django_filters.FilterSet):
    """One FilterSet for the patient search page, the API and exports."""

    q = django_filters.CharFilter(method="search", label="Name, MRN or enterprise id")
    birth_date = django_filters.DateFilter()
    facility = django_filters.CharFilter(field_name="facility__code", label="Facility code")

    class Meta:
        model = Patient
        fields = ["q", "birth_date", "facility", "mrn"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        terms = [t for t in value.replace(",", " ").split() if t]
        condition = Q(mrn__iexact=value) | Q(enterprise_id__iexact=value)
        name_match = Q()
        for term in terms:
            name_match &= Q(family_name__istartswith=term) | Q(given_name__istartswith=term)
        return queryset.filter(condition | name_match)
