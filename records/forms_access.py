"""Forms of the break-the-glass dialog, the review and the grants screen."""

from __future__ import annotations

from django import forms

from records.models import BreakGlassAccess


class BreakGlassForm(forms.Form):
    identifier = forms.CharField(
        label="Patient enterprise id or MRN",
        max_length=64,
        help_text="Type it exactly as it appears on the clinical documents you hold.",
    )
    reason_code = forms.ChoiceField(
        label="Reason", choices=[("", "—"), *BreakGlassAccess.ReasonCode.choices]
    )
    reason_text = forms.CharField(
        label="Explain why you need access now",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )

    def clean_reason_text(self):
        value = self.cleaned_data["reason_text"].strip()
        if not value:
            raise forms.ValidationError("Explain why you need emergency access; it is required.")
        return value


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        label="Outcome",
        choices=[
            (BreakGlassAccess.ReviewStatus.REVIEWED, "Reviewed: the access was appropriate"),
            (BreakGlassAccess.ReviewStatus.ESCALATED, "Escalated: needs further investigation"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class PatientGrantForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    enterprise_id = forms.CharField(label="Patient enterprise id", max_length=10)


class DocumentGrantForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    document = forms.UUIDField(label="Document id")
