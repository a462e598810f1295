"""Query templates in the admin (reference data, not PHI), with the same
compliance checks a coder's query gets. Imported from ``setup_queue.ready()``."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from coding.models import QueryKind, QueryTemplate
from coding.models.queue import REQUIRED_OPTIONS
from coding.services import queue_queries


class QueryTemplateForm(forms.ModelForm):
    class Meta:
        model = QueryTemplate
        fields = [
            "key",
            "title",
            "kind",
            "question",
            "options",
            "yes_no_situation",
            "guidance",
            "active",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind", "")
        options = data.get("options") or []
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            self.add_error("options", 'Give the options as a JSON list of text, e.g. ["A", "B"].')
            return data
        if kind == QueryKind.MULTIPLE_CHOICE:  # the mandatory options are always added
            options = [o for o in options if o not in REQUIRED_OPTIONS] + list(REQUIRED_OPTIONS)
        errors = queue_queries.check_content(
            kind=kind,
            question=data.get("question", ""),
            # A template has no patient yet: the coder cites the indicators per query.
            clinical_indicators="(cited per query)",
            options=options,
            yes_no_situation=data.get("yes_no_situation", ""),
        )
        for name, messages in errors.items():
            self.add_error(name if name in self.fields else None, messages)
        return data


@admin.register(QueryTemplate)
class QueryTemplateAdmin(admin.ModelAdmin):
    form = QueryTemplateForm
    list_display = ["title", "key", "kind", "yes_no_situation", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["title", "key", "question"]
