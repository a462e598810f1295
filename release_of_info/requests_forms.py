"""Forms of the requests part; each form's fields are its service's keywords."""

from __future__ import annotations

from django import forms

from records.forms_amendments import patient_lookup
from records.models import Encounter, Patient
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests as services

DATE = forms.DateInput(attrs={"type": "date"})

__all__ = [
    "ExtendForm",
    "IdentityForm",
    "ROIRequestEditForm",
    "ROIRequestForm",
    "RequesterForm",
    "SettingsForm",
    "StatusForm",
    "patient_lookup",
]


class RequesterForm(forms.ModelForm):
    class Meta:
        model = Requester
        fields = [
            "name",
            "type",
            "organization",
            "address_line",
            "city",
            "state",
            "postal_code",
            "email",
            "phone",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the requester's name.")
        return name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class EncounterChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Encounter) -> str:
        end = f" to {obj.discharge_at:%Y-%m-%d}" if obj.discharge_at else ""
        return f"{obj.number}: {obj.get_encounter_class_display()}, {obj.admit_at:%Y-%m-%d}{end}"


class _WhatIsAsked(forms.Form):
    requester = forms.ModelChoiceField(
        queryset=Requester.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Requester",
        help_text="Choose who is asking, or fill in a new requester below.",
    )
    new_requester_name = forms.CharField(
        max_length=200, required=False, label="New requester: name"
    )
    new_requester_type = forms.ChoiceField(
        choices=[("", "—"), *Requester.Type.choices], required=False, label="New requester: type"
    )
    new_requester_organization = forms.CharField(
        max_length=200, required=False, label="New requester: organization"
    )
    new_requester_address = forms.CharField(
        max_length=200, required=False, label="New requester: address"
    )
    new_requester_email = forms.EmailField(required=False, label="New requester: email")
    received_on = forms.DateField(widget=DATE, label="Received on")
    purpose = forms.ChoiceField(choices=ROIRequest.Purpose.choices)
    purpose_detail = forms.CharField(max_length=200, required=False, label="Purpose (details)")
    document_types = forms.MultipleChoiceField(
        choices=services.document_type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Document types (none ticked: all)",
    )
    date_from = forms.DateField(widget=DATE, required=False, label="Records from")
    date_to = forms.DateField(widget=DATE, required=False, label="Records to")
    encounters = EncounterChoiceField(
        queryset=Encounter.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Encounters (none ticked: all)",
    )
    format = forms.ChoiceField(choices=ROIRequest.Format.choices)
    delivery = forms.ChoiceField(choices=ROIRequest.Delivery.choices)
    assigned_to = UserChoiceField(
        queryset=None, required=False, label="Assigned specialist", to_field_name="username"
    )

    def __init__(self, *args, user=None, patient: Patient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.patient = patient
        self.fields["requester"].queryset = Requester.objects.visible_to(user).order_by("name")
        if patient is not None:
            self.fields["encounters"].queryset = Encounter.objects.visible_to(user).filter(
                patient=patient
            )
        facility = patient.facility if patient is not None else None
        self.fields["assigned_to"].queryset = services.assignable_users(facility)
        if user is not None and not user.has_perm("release_of_info.add_requester"):
            for name in list(self.fields):
                if name.startswith("new_requester_"):
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        if data.get("requester") is None and "requester" not in self.errors:
            name = (data.get("new_requester_name") or "").strip()
            if not name:
                self.add_error(
                    "requester", "Choose who is asking, or give a new requester's name and type."
                )
            elif not data.get("new_requester_type"):
                self.add_error("new_requester_type", "Give the new requester's type.")
        return data

    def requester_or_new(self) -> Requester:
        """The chosen requester, or the new one (saved: call inside the transaction)."""
        data = self.cleaned_data
        if data.get("requester") is not None:
            return data["requester"]
        return Requester.objects.create(
            name=data["new_requester_name"].strip(),
            type=data["new_requester_type"],
            organization=(data.get("new_requester_organization") or "").strip(),
            address_line=(data.get("new_requester_address") or "").strip(),
            email=data.get("new_requester_email") or "",
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "received_on": data["received_on"],
            "purpose": data["purpose"],
            "purpose_detail": data.get("purpose_detail", ""),
            "document_types": data.get("document_types") or [],
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "encounters": list(data.get("encounters") or []),
            "format": data["format"],
            "delivery": data["delivery"],
            "assigned_to": data.get("assigned_to"),
        }


class ROIRequestForm(_WhatIsAsked):
    patient = forms.CharField(
        label="Patient (enterprise id or MRN)", max_length=30, widget=forms.HiddenInput
    )

    def __init__(self, *args, user=None, patient: Patient | None = None, **kwargs):
        super().__init__(*args, user=user, patient=patient, **kwargs)
        if patient is not None:
            self.fields["patient"].initial = patient.enterprise_id

    def clean_patient(self) -> Patient:
        patient = patient_lookup(self.user, self.cleaned_data["patient"])
        if self.patient is not None and patient.pk != self.patient.pk:
            raise forms.ValidationError("The patient changed while the form was open; start again.")
        return patient


class ROIRequestEditForm(_WhatIsAsked):
    @classmethod
    def initial_for(cls, roi: ROIRequest) -> dict:
        return {
            "requester": roi.requester.public_id,
            "received_on": roi.received_on,
            "purpose": roi.purpose,
            "purpose_detail": roi.purpose_detail,
            "document_types": roi.document_types,
            "date_from": roi.date_from,
            "date_to": roi.date_to,
            "encounters": [e.public_id for e in roi.encounters.all()],
            "format": roi.format,
            "delivery": roi.delivery,
            "assigned_to": roi.assigned_to.username if roi.assigned_to else None,
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[], label="Move to")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason (required to hold, deny or cancel; a denial's reason goes in the letter)",
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Choose…"), *choices]


class ExtendForm(forms.Form):
    new_due_on = forms.DateField(widget=DATE, label="New due date (at most 30 days later)")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Reason for the delay (as in the notice)"
    )
    notice_on = forms.DateField(
        widget=DATE, required=False, label="Notice dated (default today; before the due date)"
    )


class IdentityForm(forms.Form):
    method = forms.CharField(
        max_length=120,
        label="How identity was verified",
        help_text="e.g. government photo ID seen at the desk; notarized signature; portal login.",
    )


class SettingsForm(forms.Form):
    due_days = forms.IntegerField(
        min_value=1, max_value=30, label="Days to respond (HIPAA: 30; a state may require fewer)"
    )
    legal_basis = forms.CharField(
        max_length=200, required=False, label="State law setting the shorter limit"
    )
