"""Forms of the authfees screens. Rules stay in the services; forms only shape input."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from him.forms import PolicyModelForm
from records import files
from records.models import Document, Encounter, Sensitivity
from release_of_info.models import (
    Authorization,
    DisclosureBasis,
    FeePolicy,
    FeeSchedule,
    Requester,
    ROIRequest,
)
from release_of_info.services import authfees_fees as fees

DATE = forms.DateInput(attrs={"type": "date"})


def _checked_file(uploaded):
    if uploaded:
        files.inspect_file(uploaded)  # raises a ValidationError a person can act on
    return uploaded


class AuthorizationForm(PolicyModelForm):
    upload = forms.FileField(
        label="Signed form",
        required=False,
        help_text=f"The scanned, signed form: {files.ACCEPTED}.",
        widget=forms.ClearableFileInput(attrs={"accept": files.ACCEPT_ATTR}),
    )
    document_types = forms.MultipleChoiceField(
        choices=Document.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every document type.",
    )
    category_choices = forms.TypedMultipleChoiceField(
        label="Sensitive categories the form names",
        choices=Sensitivity.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Authorization
        fields = [
            "kind",
            "description",
            "disclosing_party",
            "recipient_name",
            "purpose",
            "purpose_detail",
            "expires_on",
            "expiration_event",
            "expiration_event_on",
            "signed_by_name",
            "signed_on",
            "signed_by_representative",
            "representative_authority",
            "states_right_to_revoke",
            "states_conditioning",
            "states_redisclosure",
            "document_types",
            "date_from",
            "date_to",
            "encounters",
            "part2_program",
            "part2_description",
        ]
        widgets = {
            "expires_on": DATE,
            "expiration_event_on": DATE,
            "signed_on": DATE,
            "date_from": DATE,
            "date_to": DATE,
            "description": forms.Textarea(attrs={"rows": 2}),
            "part2_description": forms.Textarea(attrs={"rows": 2}),
            "encounters": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, roi: ROIRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        roi = roi or (self.instance.request if self.instance.pk else None)
        self.roi = roi
        qs = Encounter.objects.none()
        if roi is not None and self.user is not None:
            qs = Encounter.objects.visible_to(self.user).filter(patient_id=roi.patient_id)
        self.fields["encounters"].queryset = qs
        self.fields["encounters"].help_text = "None ticked: every encounter."
        self.fields["category_choices"].initial = [
            c.value for c in Sensitivity if self.instance.categories & c.value
        ]
        if roi is not None and not self.instance.pk:
            self.fields["recipient_name"].initial = roi.requester.name
            self.fields["purpose"].initial = roi.purpose

    def clean_upload(self):
        return _checked_file(self.cleaned_data.get("upload"))

    def clean(self):
        data = super().clean()
        frm, to = data.get("date_from"), data.get("date_to")
        if frm and to and to < frm:
            self.add_error("date_to", "The end of the range is before its start.")
        if data.get("signed_on") and data["signed_on"] > timezone.localdate():
            self.add_error("signed_on", "The signature date cannot be in the future.")
        return data

    def save(self, commit=True):
        obj = super().save(commit=False)
        obj.categories = sum(set(self.cleaned_data.get("category_choices") or []))
        if self.roi is not None and not obj.request_id:
            obj.request = self.roi
        if obj.recipient_id is None and self.roi is not None:
            # Link the requester when the form names them, so the check is exact.
            requester = self.roi.requester
            if obj.recipient_name.strip().lower() == requester.name.strip().lower():
                obj.recipient = requester
        elif obj.recipient_id and obj.recipient_name.strip().lower() != obj.recipient.name.lower():
            obj.recipient = None
        if commit:
            obj.save()
            self.save_m2m()
        return obj


class UploadForm(forms.Form):
    upload = forms.FileField(
        label="Signed form",
        help_text=f"{files.ACCEPTED}.",
        widget=forms.ClearableFileInput(attrs={"accept": files.ACCEPT_ATTR}),
    )

    def clean_upload(self):
        return _checked_file(self.cleaned_data.get("upload"))


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(
        label="Written revocation received on", widget=DATE, initial=timezone.localdate
    )
    note = forms.CharField(max_length=300, required=False, label="Note")


class IdentityForm(forms.Form):
    method = forms.CharField(
        max_length=120,
        label="How the identity was verified",
        help_text="e.g. photo ID seen at the desk; portal account; called back a known number",
    )


class DisclosureBasisForm(forms.ModelForm):
    upload = forms.FileField(
        label="Order, subpoena, process or waiver",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": files.ACCEPT_ATTR}),
    )

    class Meta:
        model = DisclosureBasis
        fields = ["basis", "reference", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "note": "For a subpoena: the satisfactory assurances received.",
        }

    def clean_upload(self):
        return _checked_file(self.cleaned_data.get("upload"))


class FeeScheduleForm(PolicyModelForm):
    tiers_text = forms.CharField(
        label="Tiered per-page rates (optional)",
        required=False,
        help_text="pages up to:rate, e.g. 10:1.00, 50:0.50, *:0.25 (replaces the per-page rate)",
    )

    class Meta:
        model = FeeSchedule
        fields = ["facility", "requester_type", "base_fee", "per_page", "postage", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_type"].choices = [
            c
            for c in Requester.Type.choices
            if c[0] not in (Requester.Type.PATIENT, Requester.Type.REPRESENTATIVE)
        ]
        self.fields[
            "requester_type"
        ].help_text = (
            "A patient's own copy is never charged by a schedule: see the facility's policy."
        )
        if self.instance.pk:
            self.fields["tiers_text"].initial = fees.format_tiers(self.instance.tiers)

    def clean_tiers_text(self):
        try:
            return fees.parse_tiers(self.cleaned_data.get("tiers_text", ""))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self):
        data = super().clean()
        for name in ("base_fee", "per_page", "postage"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "An amount cannot be negative.")
        facility, rtype = data.get("facility"), data.get("requester_type")
        if facility and rtype:
            clash = FeeSchedule.objects.filter(facility=facility, requester_type=rtype)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "requester_type", "This facility already has a schedule for that type."
                )
        return data

    def save(self, commit=True):
        obj = super().save(commit=False)
        obj.tiers = self.cleaned_data.get("tiers_text") or []
        if self.user is not None:
            obj.updated_by = self.user
        if commit:
            obj.save()
        return obj


class FeePolicyForm(PolicyModelForm):
    class Meta:
        model = FeePolicy
        fields = [
            "access_method",
            "flat_fee",
            "labor_per_page",
            "paper_per_page",
            "media_fee",
            "postage",
        ]
        help_texts = {
            "flat_fee": "HHS: up to $6.50 for an electronic copy, all costs included.",
        }

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields[1:]:
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "An amount cannot be negative.")
        return data


class PaidForm(forms.Form):
    reference = forms.CharField(max_length=100, required=False, label="Payment reference")


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label="Why the fee is waived", widget=forms.Textarea(attrs={"rows": 2})
    )
