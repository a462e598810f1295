import django_filters

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
        from records.search import search_patients

        return search_patients(queryset, value)
