"""Forms of the documents part: filing, versions, transcription, scanning."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from records.files import ACCEPT_ATTR, inspect_file
from records.models import Document, DocumentVersion, Encounter, Patient, Provider


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def checked_file(uploaded):
    """Clean a file field: refuse what is not a PDF/TIFF/JPEG/PNG by content, or too big."""
    if not uploaded:
        return uploaded
    try:
        uploaded.facts = inspect_file(uploaded)
    except ValidationError as exc:
        raise forms.ValidationError(exc.messages) from None
    return uploaded


def _date(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError("The service date cannot be in the future.")
    return value


class _PatientScoped(forms.Form):
    """Patient by enterprise id (only patients the user may reach), encounter of that patient."""

    patient = forms.CharField(label="Patient enterprise id", max_length=10)
    encounter = forms.ModelChoiceField(queryset=Encounter.objects.none(), required=False)
    doc_type = forms.ChoiceField(label="Type", choices=Document.Type.choices)
    service_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    author = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True), required=False)
    title = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        eid = (self.data.get("patient") or self.initial.get("patient") or "").strip()
        encounters = (
            Encounter.objects.visible_to(user, "view") if user else Encounter.objects.none()
        )
        self.fields["encounter"].queryset = encounters.filter(
            patient__enterprise_id__iexact=eid
        ).order_by("-admit_at")

    def clean_patient(self):
        eid = self.cleaned_data["patient"].strip()
        patient = Patient.objects.visible_to(self.user, "view").filter(enterprise_id__iexact=eid)
        patient = patient.first()
        if patient is None:
            raise forms.ValidationError("No patient with that enterprise id within your access.")
        return patient

    def clean_service_date(self):
        return _date(self.cleaned_data["service_date"])


class DocumentForm(_PatientScoped):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), required=False)
    file = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}),
        help_text="PDF, TIFF, JPEG or PNG; checked by its content.",
    )

    def clean_file(self):
        return checked_file(self.cleaned_data.get("file"))

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file") and not self.errors:
            raise forms.ValidationError("Give the document's text, a file, or both.")
        return data


class DocumentEditForm(forms.Form):
    """An unsigned document's metadata and text (a signed one changes only by a new version)."""

    doc_type = forms.ChoiceField(label="Type", choices=Document.Type.choices)
    title = forms.CharField(max_length=200, required=False)
    service_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    author = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True), required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 20}), required=False)

    def clean_service_date(self):
        return _date(self.cleaned_data["service_date"])


class VersionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (DocumentVersion.Kind.CORRECTION, "Correction"),
            (DocumentVersion.Kind.ADDENDUM, "Addendum"),
        ]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Required: why.")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), required=False)
    file = forms.FileField(
        required=False, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR})
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why this version is made.")
        return reason

    def clean_file(self):
        return checked_file(self.cleaned_data.get("file"))

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file") and not self.errors:
            raise forms.ValidationError("A new version needs its text or a file.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


class TranscriptionForm(_PatientScoped):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 24}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].required = True
        self.fields["author"].help_text = "The dictating provider, who will sign."


class ScanUploadForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None)
    files = MultipleFileField(label="Scanned files")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from him.models import Facility
        from him.policy import facility_ids

        self.fields["facility"].queryset = Facility.objects.filter(
            pk__in=facility_ids(user) if user else [], active=True
        )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if not files:
            raise forms.ValidationError("Choose at least one file.")
        problems = []
        for f in files:
            try:
                checked_file(f)
            except forms.ValidationError as exc:
                problems.extend(f"{f.name}: {m}" for m in exc.messages)
        if problems:
            raise forms.ValidationError(problems)
        return files


class ScanIndexForm(_PatientScoped):
    doc_type = forms.ChoiceField(
        label="Type", choices=Document.Type.choices, initial=Document.Type.OUTSIDE_RECORD
    )
