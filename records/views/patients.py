from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views import generic

from him.views.base import ObjectMixin, PHICreateView, PHIDetailView, PHIListView, PHIUpdateView
from records import links
from records.filters import PatientFilterSet
from records.forms import PatientForm
from records.models import Encounter, Patient, PatientIdentifier
from records.services import patients as patient_services
from records.views.forms import ServiceErrorsMixin


class PatientListView(PHIListView):
    model = Patient
    filterset_class = PatientFilterSet
    template_name = "records/patient_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("facility")


class PatientDetailView(PHIDetailView):
    """The chart: demographics, identifiers, encounters, and the other parts' sections."""

    model = Patient
    slug_field = "enterprise_id"
    slug_url_kwarg = "enterprise_id"
    template_name = "records/patient_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("facility", "merged_into")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        user, patient = self.request.user, self.object
        data["identifiers"] = (
            PatientIdentifier.objects.visible_to(user)
            .filter(patient=patient)
            .select_related("system")
        )
        data["encounters"] = (
            Encounter.objects.visible_to(user)
            .filter(patient=patient)
            .select_related("facility", "attending")
        )
        data["can_view_ssn"] = user.has_perm("records.view_ssn")
        data["app_links"] = links.for_object(user, links.PATIENT, patient)
        return data


class PatientWriteMixin(ServiceErrorsMixin):
    model = Patient
    form_class = PatientForm
    template_name = "records/patient_form.html"

    def save(self, form):
        patient = form.save(commit=False)
        return patient_services.patient_save(
            patient=patient, ssn=form.ssn_input(), user=self.request.user
        )

    def get_success_url(self):
        return reverse("records:patient-detail", args=[self.object.enterprise_id])


class PatientCreateView(PatientWriteMixin, PHICreateView):
    success_message = "Patient added."


class PatientUpdateView(PatientWriteMixin, PHIUpdateView):
    slug_field = "enterprise_id"
    slug_url_kwarg = "enterprise_id"
    success_message = "Patient updated."


class PatientSSNView(ObjectMixin, generic.DetailView):
    """The full SSN, for roles that need it (records.view_ssn); each showing is trailed."""

    model = Patient
    slug_field = "enterprise_id"
    slug_url_kwarg = "enterprise_id"
    template_name = "records/patients/ssn.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            ssn = patient_services.patient_ssn_reveal(patient=self.object, user=request.user)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        return self.render_to_response(self.get_context_data(object=self.object, ssn=ssn))
