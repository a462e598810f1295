from django.urls import reverse

from him.views.base import PHICreateView, PHIDetailView, PHIListView, PHIUpdateView
from records.filters import PatientFilterSet
from records.forms import PatientForm
from records.models import Patient


class PatientListView(PHIListView):
    model = Patient
    filterset_class = PatientFilterSet
    template_name = "records/patient_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("facility")


class PatientDetailView(PHIDetailView):
    model = Patient
    slug_field = "enterprise_id"
    slug_url_kwarg = "enterprise_id"
    template_name = "records/patient_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("facility")


class PatientCreateView(PHICreateView):
    model = Patient
    form_class = PatientForm
    template_name = "records/patient_form.html"
    success_message = "Patient added."

    def get_success_url(self):
        return reverse("records:patient-detail", args=[self.object.enterprise_id])


class PatientUpdateView(PHIUpdateView):
    model = Patient
    form_class = PatientForm
    slug_field = "enterprise_id"
    slug_url_kwarg = "enterprise_id"
    template_name = "records/patient_form.html"
    success_message = "Patient updated."

    def get_success_url(self):
        return reverse("records:patient-detail", args=[self.object.enterprise_id])
