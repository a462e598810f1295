"""Pages of the codesets part: the loaded versions, and importing a file.

Code sets are reference data, not PHI: no facility scope and no trail on read;
each import writes its trail row (``codesets.run_import``, from the background
task: ``services.codeset_imports``).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import generic

from coding.codesets_forms import CodeSetImportForm
from coding.models import CodeNote, CodeReference, CodeSet, CodeSetImport
from coding.services import codeset_imports, codesets
from him.views.base import PolicyMixin


class CodeSetListView(PolicyMixin, generic.ListView):
    model = CodeSet
    template_name = "coding/codesets/list.html"
    context_object_name = "code_sets"

    def get_queryset(self):
        return CodeSet.objects.order_by("system", "-effective_from", "version")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = self.request.user.has_perm("coding.add_codeset")
        if context["can_import"]:
            recent = CodeSetImport.objects.select_related("requested_by")
            context["imports"] = recent.order_by("-requested_at")[:10]
        return context


class CodeSetDetailView(PolicyMixin, generic.DetailView):
    model = CodeSet
    template_name = "coding/codesets/detail.html"
    context_object_name = "code_set"

    def get_object(self, queryset=None):
        return get_object_or_404(CodeSet, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cs = self.object
        codes = cs.codes.aggregate(
            total=Count("id"),
            billable=Count("id", filter=Q(billable=True)),
        )
        context["facts"] = [
            ("Codes and headers", codes["total"]),
            ("Billable codes", codes["billable"]),
            ("Notes", CodeNote.objects.filter(code__code_set=cs).count()),
            ("Code references in notes", CodeReference.objects.filter(code__code_set=cs).count()),
            ("MS-DRGs", cs.drgs.count()),
            ("NCCI pairs", cs.ncci_pairs.count()),
            ("MUE limits", cs.mue_limits.count()),
        ]
        return context


class CodeSetImportView(PolicyMixin, generic.FormView):
    model = CodeSet
    policy_action = "add"
    template_name = "coding/codesets/import.html"
    form_class = CodeSetImportForm

    def form_valid(self, form):
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = codeset_imports.import_request(
                kind=data["kind"],
                data=upload,
                filename=upload.name,
                version=data["version"],
                effective_from=data["effective_from"],
                effective_to=data["effective_to"],
                setting=data.get("setting") or "",
                user=self.request.user,
            )
        except codesets.CodeSetError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return redirect(reverse("coding:codeset-import-status", args=[job.public_id]))


class CodeSetImportStatusView(PolicyMixin, generic.DetailView):
    """How an import went (refreshes itself while it runs). Those who may import see it."""

    model = CodeSet
    policy_action = "add"
    template_name = "coding/codesets/import_status.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        return get_object_or_404(
            CodeSetImport.objects.select_related("requested_by"),
            public_id=self.kwargs["public_id"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kind_label"] = codesets.IMPORTERS.get(self.object.kind, self.object.kind)
        return context
