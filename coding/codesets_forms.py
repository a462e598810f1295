"""The code-set import form."""

from __future__ import annotations

from django import forms
from django.conf import settings

from coding.models import MueLimit, NcciPair
from coding.services.codesets import IMPORTERS

SETTINGS = [("", "(not needed)")] + [
    (v, label)
    for v, label in {**dict(NcciPair.Setting.choices), **dict(MueLimit.Setting.choices)}.items()
]


def max_upload_bytes() -> int:
    return int(getattr(settings, "HIM_CODESET_UPLOAD_MAX_MB", 200)) * 1024 * 1024


class CodeSetImportForm(forms.Form):
    kind = forms.ChoiceField(label="File", choices=list(IMPORTERS.items()))
    file = forms.FileField(
        help_text="The file as received: HCPCS fixed-width text or its xlsx/csv; CPT tab-delimited or csv; "
        "NCCI tab-delimited text or csv."
    )
    version = forms.CharField(
        max_length=20, help_text="e.g. 2026 for an annual file, 2026Q1 for a quarter."
    )
    effective_from = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day this version is in force.",
    )
    effective_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day it is in force; leave empty while it is current.",
    )
    setting = forms.ChoiceField(
        required=False,
        choices=SETTINGS,
        help_text="NCCI PTP: practitioner or hospital. MUE: practitioner, hospital or DME.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                f"The file is larger than {max_upload_bytes() // (1024 * 1024)} MB: "
                "load it with manage.py load_codesets instead."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload

    def clean(self):
        data = super().clean()
        kind, setting = data.get("kind"), data.get("setting")
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "The version cannot end before it starts.")
        if kind == "ncci_ptp" and setting not in NcciPair.Setting.values:
            self.add_error("setting", "Choose practitioner or hospital for an NCCI PTP file.")
        if kind == "mue" and setting not in MueLimit.Setting.values:
            self.add_error("setting", "Choose practitioner, hospital or DME for an MUE file.")
        return data
