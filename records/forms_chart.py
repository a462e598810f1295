"""Forms of the chart: identifiers, providers, encounters."""

from __future__ import annotations

from django import forms

from him.forms import PolicyModelForm
from records.models import Encounter, IdentifierSystem, Patient, PatientIdentifier, Provider
from records.services import encounter_records, patients

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IdentifierForm(forms.ModelForm):
    def __init__(self, *args, user=None, patient: Patient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.patient = user, patient
        self.fields["system"].queryset = IdentifierSystem.objects.filter(active=True)
        self.fields["system"].error_messages["invalid_choice"] = (
            "Unknown identifier system: choose one from the list."
        )

    class Meta:
        model = PatientIdentifier
        fields = ["system", "value"]

    def validate_unique(self):
        # identifier_errors names the clash in words a person can act on.
        pass

    def clean(self):
        data = super().clean()
        errors = patients.identifier_errors(
            user=self.user,
            patient=self.patient,
            system=data.get("system"),
            value=data.get("value") or "",
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["family_name", "given_name", "credentials", "npi", "specialty", "user", "active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from him.models import User

        linked = Provider.objects.exclude(pk=self.instance.pk).exclude(user=None)
        self.fields["user"].queryset = User.objects.filter(is_active=True).exclude(
            pk__in=linked.values("user_id")
        )
        self.fields["user"].help_text = "The sign-in of this provider (physicians sign charts)."
        self.fields["npi"].error_messages["unique"] = "A provider with this NPI already exists."


class EncounterForm(PolicyModelForm):
    patient_ref = forms.CharField(
        label="Patient enterprise id", max_length=10, help_text="e.g. EABCD2345"
    )

    class Meta:
        model = Encounter
        fields = [
            "number",
            "facility",
            "encounter_class",
            "admit_at",
            "admit_source",
            "attending",
            "other_providers",
            "service_line",
            "surgery_at",
            "status",
            "discharge_at",
            "discharge_disposition",
        ]
        widgets = {"admit_at": _DATETIME, "discharge_at": _DATETIME, "surgery_at": _DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].error_messages["invalid_choice"] = (
            "That facility is outside the facilities you can reach: choose one of yours."
        )
        for name in ("admit_at", "discharge_at", "surgery_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        active = Provider.objects.filter(active=True)
        self.fields["attending"].queryset = active
        self.fields["other_providers"].queryset = active
        self.fields["other_providers"].required = False
        if self.instance.pk:
            self.fields["patient_ref"].initial = self.instance.patient.enterprise_id
            self.fields["patient_ref"].disabled = True
        else:
            self.fields["patient_ref"].initial = self.initial.get("patient_ref")

    def clean_patient_ref(self):
        if self.instance.pk:
            return self.instance.patient
        text = (self.cleaned_data.get("patient_ref") or "").strip().upper()
        patient = Patient.objects.visible_to(self.user, "view").filter(enterprise_id=text).first()
        if patient is None:
            raise forms.ValidationError(f"No patient with enterprise id {text} that you can reach.")
        return patient

    def validate_unique(self):
        pass  # encounter_errors names the visit number clash

    def clean(self):
        data = super().clean()
        errors = encounter_records.encounter_errors(
            user=self.user,
            facility=data.get("facility"),
            patient=None,  # clean_patient_ref only finds reachable patients
            number=data.get("number") or "",
            admit_at=data.get("admit_at"),
            discharge_at=data.get("discharge_at"),
            status=data.get("status") or "",
            discharge_disposition=data.get("discharge_disposition") or "",
            pk=self.instance.pk,
        )
        for field, message in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data


class DischargeForm(forms.ModelForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["discharge_at"].required = True
        self.fields["discharge_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["discharge_disposition"].required = True

    class Meta:
        model = Encounter
        fields = ["discharge_at", "discharge_disposition"]
        widgets = {"discharge_at": _DATETIME}
        labels = {
            "discharge_at": "Discharged at",
            "discharge_disposition": "Disposition (UB-04 patient status)",
        }

    def clean(self):
        data = super().clean()
        if self.instance.status != Encounter.Status.ADMITTED:
            raise forms.ValidationError(
                f"Only an admitted encounter can be discharged; this one is "
                f"{self.instance.get_status_display().lower()}."
            )
        errors = encounter_records.encounter_errors(
            user=self.user,
            facility=None,
            patient=None,
            number="",
            admit_at=self.instance.admit_at,
            discharge_at=data.get("discharge_at"),
            status=Encounter.Status.DISCHARGED,
            discharge_disposition=data.get("discharge_disposition") or "",
        )
        for field, message in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data
