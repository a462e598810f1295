from django import forms

from him.forms import PolicyModelForm
from records.models import Patient
from records.services import patients as patient_services

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(PolicyModelForm):
    """The full demographics. The SSN is write-only: typed here, never shown back."""

    ssn = forms.CharField(
        label="SSN",
        required=False,
        max_length=11,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="123-45-6789. Stored encrypted; leave blank to keep the one on file.",
    )
    clear_ssn = forms.BooleanField(label="Remove the SSN on file", required=False)

    class Meta:
        model = Patient
        fields = [
            "facility",
            "mrn",
            "family_name",
            "given_name",
            "middle_name",
            "suffix",
            "birth_date",
            "sex",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "email",
            "deceased_date",
            "confidentiality",
            "restriction_reason",
        ]
        widgets = {"birth_date": _DATE, "deceased_date": _DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "facility" in self.fields:
            self.fields["facility"].error_messages["invalid_choice"] = (
                "That facility is outside the facilities you can reach: choose one of yours."
            )
        self.fields["confidentiality"].required = False
        self.fields["restriction_reason"].help_text = "Required when the patient is restricted."
        if self.instance.pk and self.instance.ssn_masked:
            self.fields[
                "ssn"
            ].help_text = f"On file: {self.instance.ssn_masked}. Type a new one to replace it."
        else:
            del self.fields["clear_ssn"]

    def clean_confidentiality(self):
        return self.cleaned_data.get("confidentiality") or Patient.Confidentiality.NORMAL

    def clean(self):
        data = super().clean()
        errors = patient_services.patient_errors(
            birth_date=data.get("birth_date"),
            deceased_date=data.get("deceased_date"),
            confidentiality=data.get("confidentiality") or "",
            restriction_reason=data.get("restriction_reason") or "",
            ssn=data.get("ssn"),
        )
        if patient_services.mrn_clash(
            facility=data.get("facility"), mrn=data.get("mrn"), patient=self.instance
        ):
            errors["mrn"] = "This MRN is already used at this facility."
        for field, message in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data

    def ssn_input(self) -> str | None:
        """What to do with the stored SSN: None keeps it, "" clears it."""
        if self.cleaned_data.get("clear_ssn"):
            return ""
        return self.cleaned_data.get("ssn") or None
