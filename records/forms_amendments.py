"""Forms of the amendment workflow; each action's fields are its service's keywords."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from records.models import AmendmentRequest, Document, Patient

DATE = forms.DateInput(attrs={"type": "date"})


def patient_lookup(user, text: str) -> Patient:
    """A patient the user can reach, by enterprise id or MRN; a clear error otherwise."""
    text = (text or "").strip()
    found = list(
        Patient.objects.visible_to(user).filter(
            Q(enterprise_id__iexact=text) | Q(mrn__iexact=text)
        )[:2]
    )
    if not found:
        raise forms.ValidationError("No patient you can reach has this enterprise id or MRN.")
    if len(found) > 1:
        raise forms.ValidationError("Several patients have this MRN; use the enterprise id.")
    return found[0]


def documents_of(patient: Patient | None, user):
    """The patient's documents the user can see (entered-in-error ones left out)."""
    if patient is None:
        return Document.objects.none()
    return (
        Document.objects.visible_to(user)
        .filter(patient=patient)
        .exclude(status=Document.Status.ENTERED_IN_ERROR)
        .order_by("-service_date", "doc_type")
    )


class DocumentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Document) -> str:
        title = f" {obj.title}" if obj.title else ""
        return f"{obj.get_doc_type_display()}{title}, {obj.service_date:%Y-%m-%d} ({obj.get_status_display()})"


class AmendmentRequestForm(forms.Form):
    patient = forms.CharField(
        label="Patient (enterprise id or MRN)", max_length=30, widget=forms.HiddenInput
    )
    documents = DocumentChoiceField(
        queryset=Document.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        label="Documents concerned",
        error_messages={"required": "Choose at least one of the patient's documents."},
    )
    requested_change = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Requested change",
        help_text="What the individual asks to change, and why, in their words.",
    )
    requester_name = forms.CharField(max_length=200, label="Requested by")
    requester_relationship = forms.CharField(
        max_length=100, initial="Self", label="Relationship to the patient"
    )
    received_on = forms.DateField(widget=DATE, label="Received on")

    def __init__(self, *args, user=None, patient: Patient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.patient = patient
        self.fields["documents"].queryset = documents_of(patient, user)
        if patient is not None:
            self.fields["patient"].initial = patient.enterprise_id

    def clean_patient(self) -> Patient:
        patient = patient_lookup(self.user, self.cleaned_data["patient"])
        if self.patient is not None and patient.pk != self.patient.pk:
            raise forms.ValidationError("The patient changed while the form was open; start again.")
        return patient


class ExtendForm(forms.Form):
    notice_on = forms.DateField(widget=DATE, label="Written notice sent on")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Reason for the delay (as in the notice)"
    )


class AcceptForm(forms.Form):
    decided_on = forms.DateField(widget=DATE, required=False, label="Decided on (default today)")
    notify_persons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Persons to notify",
        help_text="Persons the individual names to be told of the amendment, one a line.",
    )


class DenyForm(forms.Form):
    basis = forms.ChoiceField(
        choices=[("", "Choose the basis…"), *AmendmentRequest.DenialBasis.choices],
        label="Basis for denial (45 CFR 164.526(a)(2))",
        error_messages={"required": "Choose the basis for denial."},
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Explanation for the letter (plain language)",
    )
    decided_on = forms.DateField(widget=DATE, required=False, label="Decided on (default today)")


class DisagreementForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Statement of disagreement"
    )
    received_on = forms.DateField(widget=DATE, label="Received on")


class RebuttalForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Rebuttal")
    rebuttal_on = forms.DateField(widget=DATE, label="Dated")


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(
        widget=DATE, required=False, label="Withdrawn on (default today)"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note")
