from django import forms

from him.forms import PolicyModelForm
from records.models import Patient


class PatientForm(PolicyModelForm):
    class Meta:
        model = Patient
        fields = ["facility", "mrn", "family_name", "given_name", "birth_date", "sex"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def clean_birth_date(self):
        from django.utils import timezone

        value = self.cleaned_data["birth_date"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("Birth date cannot be in the future.")
        return value

    def clean(self):
        data = super().clean()
        facility, mrn = data.get("facility"), data.get("mrn")
        if facility and mrn:
            clash = Patient.objects.filter(facility=facility, mrn=mrn)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("mrn", "This MRN is already used at this facility.")
        return data
