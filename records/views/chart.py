"""Chart screens: identifiers on the chart, encounters."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from him import trail
from him.views.base import (
    PHICreateView,
    PHIDeleteView,
    PHIDetailView,
    PHIListView,
    PHIUpdateView,
)
from records import links
from records.filters_chart import EncounterFilterSet
from records.forms_chart import DischargeForm, EncounterForm, IdentifierForm
from records.models import Encounter, Patient, PatientIdentifier
from records.services import encounter_records
from records.services import patients as patient_services
from records.views.forms import ServiceErrorsMixin

# Identifiers ------------------------------------------------------------------------------


class IdentifierAddView(ServiceErrorsMixin, PHICreateView):
    model = PatientIdentifier
    form_class = IdentifierForm
    template_name = "records/chart/form.html"
    success_message = "Identifier added."

    def dispatch(self, request, *args, **kwargs):
        self.patient = None
        return super().dispatch(request, *args, **kwargs)

    def get_patient(self) -> Patient:
        if self.patient is None:
            key = self.kwargs["enterprise_id"]
            self.patient = (
                Patient.objects.visible_to(self.request.user).filter(enterprise_id=key).first()
            )
            if self.patient is None:
                trail.record(
                    trail.Action.READ,
                    object_type="records.patient",
                    object_id=str(key)[:64],
                    outcome=trail.Outcome.NOT_FOUND,
                )
                raise Http404("No such record, or it is outside your access.")
        return self.patient

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["patient"] = self.get_patient()
        return kwargs

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["title"] = f"Add an identifier: {self.patient.family_name}, {self.patient.given_name}"
        data["back_url"] = reverse("records:patient-detail", args=[self.patient.enterprise_id])
        return data

    def save(self, form):
        return patient_services.identifier_add(
            user=self.request.user,
            patient=self.get_patient(),
            system=form.cleaned_data["system"],
            value=form.cleaned_data["value"],
        )

    def get_success_url(self):
        return reverse("records:patient-detail", args=[self.patient.enterprise_id]) + "#identifiers"


class IdentifierRemoveView(PHIDeleteView):
    model = PatientIdentifier
    http_method_names = ["post"]

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "system")

    def form_valid(self, form):
        self.patient_ref = self.get_object().patient.enterprise_id
        return super().form_valid(form)

    def get_success_url(self):
        return reverse("records:patient-detail", args=[self.patient_ref]) + "#identifiers"


# Encounters -------------------------------------------------------------------------------


class EncounterListView(PHIListView):
    model = Encounter
    filterset_class = EncounterFilterSet
    template_name = "records/encounters/list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "facility", "attending")


class EncounterDetailView(PHIDetailView):
    model = Encounter
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/encounters/detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("patient", "facility", "attending")
            .prefetch_related("other_providers")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["app_links"] = links.for_object(self.request.user, links.ENCOUNTER, self.object)
        return data


class EncounterWriteMixin(ServiceErrorsMixin):
    model = Encounter
    form_class = EncounterForm
    template_name = "records/chart/form.html"

    def save(self, form):
        encounter = form.save(commit=False)
        if not encounter.pk:
            encounter.patient = form.cleaned_data["patient_ref"]
        return encounter_records.encounter_save(
            encounter=encounter,
            user=self.request.user,
            other_providers=list(form.cleaned_data.get("other_providers") or []),
        )

    def get_success_url(self):
        return reverse("records:encounter-detail", args=[self.object.public_id])


class EncounterCreateView(EncounterWriteMixin, PHICreateView):
    success_message = "Encounter added."

    def get_initial(self):
        return {"patient_ref": self.request.GET.get("patient", "")}

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["title"] = "Add an encounter"
        return data


class EncounterUpdateView(EncounterWriteMixin, PHIUpdateView):
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    success_message = "Encounter updated."

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["title"] = f"Edit encounter {self.object.number}"
        data["back_url"] = reverse("records:encounter-detail", args=[self.object.public_id])
        return data


class EncounterDischargeView(ServiceErrorsMixin, PHIUpdateView):
    model = Encounter
    form_class = DischargeForm
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/chart/form.html"
    success_message = "Encounter discharged."

    def get(self, request, *args, **kwargs):
        encounter = self.get_object()
        if encounter.status != Encounter.Status.ADMITTED:
            return redirect("records:encounter-detail", encounter.public_id)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["title"] = f"Discharge encounter {self.object.number}"
        data["back_url"] = reverse("records:encounter-detail", args=[self.object.public_id])
        return data

    def save(self, form):
        return encounter_records.encounter_discharge(
            encounter=form.instance,
            user=self.request.user,
            discharge_at=form.cleaned_data["discharge_at"],
            disposition=form.cleaned_data["discharge_disposition"],
        )

    def get_success_url(self):
        return reverse("records:encounter-detail", args=[self.object.public_id])
