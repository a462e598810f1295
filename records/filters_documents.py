"""One FilterSet for the document list page and the documents API."""

from __future__ import annotations

import django_filters

from records.models import Document, ScanUpload

EIE = Document.Status.ENTERED_IN_ERROR


class DocumentFilterSet(django_filters.FilterSet):
    patient = django_filters.CharFilter(
        field_name="patient__enterprise_id", lookup_expr="iexact", label="Patient enterprise id"
    )
    encounter = django_filters.UUIDFilter(field_name="encounter__public_id", label="Encounter id")
    doc_type = django_filters.ChoiceFilter(choices=Document.Type.choices, label="Type")
    status = django_filters.ChoiceFilter(choices=Document.Status.choices)
    service_date = django_filters.DateFromToRangeFilter(
        label="Service date (from, to)",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    show_entered_in_error = django_filters.BooleanFilter(
        method="keep", label="Include documents entered in error"
    )

    class Meta:
        model = Document
        fields = ["patient", "encounter", "doc_type", "status", "service_date"]

    def keep(self, queryset, name, value):
        return queryset  # read in ``qs``: documents entered in error are hidden unless asked for

    @property
    def qs(self):
        queryset = super().qs
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        if not (data.get("show_entered_in_error") or data.get("status") == EIE):
            queryset = queryset.exclude(status=EIE)
        return queryset


class ScanUploadFilterSet(django_filters.FilterSet):
    facility = django_filters.CharFilter(field_name="facility__code", label="Facility code")
    status = django_filters.ChoiceFilter(choices=ScanUpload.Status.choices)

    class Meta:
        model = ScanUpload
        fields = ["facility", "status"]
