"""Chart completion screens: the physician's queue, the technician's work list,
waiving, delinquency per facility and the letters. Thin: services hold the rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views import View

from him import policy, trail
from him.models import Facility
from him.views.base import ObjectMixin, PHIDetailView, PHIListView, PolicyMixin
from records.filters_deficiencies import DeficiencyFilterSet, DeficiencyLetterFilterSet
from records.models import Deficiency, DeficiencyLetter, Document
from records.services import deficiencies as services
from records.services.deficiency_letters import deficiency_letter_open

_RELATED = (
    "encounter__patient",
    "encounter__facility",
    "document",
    "provider",
)


def _deny(request, model, permission: str):
    trail.record(
        trail.Action.DENIED,
        object_type=f"{model._meta.app_label}.{model._meta.model_name}",
        outcome=trail.Outcome.DENIED,
        reason=f"role lacks {permission}",
        detail={"path": request.path},
    )
    raise PermissionDenied("Your role does not allow this.")


class ChartCompletionView(PHIListView):
    """The physician's queue: their open deficiencies, the most urgent first."""

    model = Deficiency
    template_name = "records/deficiencies/chart_completion.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(provider__user=self.request.user, status=Deficiency.Status.OPEN)
            .with_delinquency()
            .select_related(*_RELATED)
            .order_by("due_at", "pk")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["is_provider"] = hasattr(self.request.user, "provider")
        return data


class DeficiencyListView(PHIListView):
    """The technician's work list, with the same filters as the API."""

    model = Deficiency
    filterset_class = DeficiencyFilterSet
    template_name = "records/deficiencies/deficiency_list.html"

    def get_queryset(self):
        return super().get_queryset().with_delinquency().select_related(*_RELATED)


class DeficiencyDetailView(PHIDetailView):
    model = Deficiency
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/deficiencies/deficiency_detail.html"

    def get_queryset(self):
        return super().get_queryset().with_delinquency().select_related(*_RELATED, "waived_by")


class WaiveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service says what is missing, in words a person can act on
        help_text="Why the chart is complete without this (kept in the access trail).",
    )


class DeficiencyWaiveView(ObjectMixin, View):
    """The HIM manager waives an open deficiency with a reason."""

    model = Deficiency
    policy_action = "view"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/deficiencies/deficiency_waive.html"

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and not policy.needs_second_factor(request.user)
            and not request.user.has_perm("records.waive_deficiency")
        ):
            _deny(request, Deficiency, "records.waive_deficiency")
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, deficiency, status=200):
        context = {"form": form, "object": deficiency}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, public_id):
        deficiency = self.get_object()
        return self._render(WaiveForm(), deficiency)

    def post(self, request, public_id):
        deficiency = self.get_object()
        form = WaiveForm(request.POST)
        if form.is_valid():
            try:
                services.deficiency_waive(
                    deficiency=deficiency, user=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
                return self._render(form, deficiency)
            messages.success(request, "Deficiency waived.")
            return redirect("records:deficiency-detail", public_id=deficiency.public_id)
        return self._render(form, deficiency)


class DelinquencyView(PolicyMixin, View):
    """One facility's delinquency: counts, rate against the threshold, delinquent records."""

    model = Deficiency
    policy_action = "view"
    template_name = "records/deficiencies/delinquency.html"

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and not policy.needs_second_factor(request.user)
            and not request.user.has_perm("records.view_delinquency")
        ):
            _deny(request, Deficiency, "records.view_delinquency")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, code):
        facility = Facility.objects.filter(
            code=code, pk__in=policy.facility_ids(request.user)
        ).first()
        if facility is None:
            trail.record(
                trail.Action.READ,
                object_type="him.facility",
                object_id=str(code)[:64],
                outcome=trail.Outcome.NOT_FOUND,
            )
            raise Http404("No such facility, or it is outside your access.")
        (summary,) = services.delinquency_for_facilities([facility])
        rows = list(
            self.get_queryset()
            .filter(encounter__facility=facility)
            .delinquent()
            .select_related(*_RELATED)
            .order_by("due_at", "pk")[:500]
        )
        records: dict[int, dict] = {}
        for d in rows:
            entry = records.setdefault(
                d.encounter_id, {"encounter": d.encounter, "deficiencies": [], "oldest": d.due_at}
            )
            entry["deficiencies"].append(d)
        trail.record(
            trail.Action.READ,
            object_type="records.deficiency",
            facility_id=facility.pk,
            detail={"view": "delinquency", "shown": [d.public_ref for d in rows]},
        )
        others = Facility.objects.filter(pk__in=policy.facility_ids(request.user)).order_by("code")
        context = {
            "facility": facility,
            "summary": summary,
            "records": list(records.values()),
            "facilities": others,
        }
        return render(request, self.template_name, context)


class DeficiencyLetterListView(PHIListView):
    model = DeficiencyLetter
    filterset_class = DeficiencyLetterFilterSet
    template_name = "records/deficiencies/letter_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("facility", "provider")
            .annotate(item_count=Count("deficiencies"))
            .order_by("-letter_date", "provider__family_name", "pk")
        )


class DeficiencyLetterDownloadView(ObjectMixin, View):
    """The PDF, for users who may see the letter; each download is an export row."""

    model = DeficiencyLetter
    policy_action = "view"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get(self, request, public_id):
        letter = self.get_object()
        try:
            handle = deficiency_letter_open(letter=letter, user=request.user)
        except (FileNotFoundError, ValueError):
            return render(
                request,
                "him/error.html",
                {"title": "Letter not available", "message": "The letter's file is missing."},
                status=404,
            )
        return FileResponse(
            handle, as_attachment=True, filename=letter.filename, content_type="application/pdf"
        )


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Reply",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="E.g. why this is not yours to complete; the HIM team sees it here.",
    )


class DeficiencyReplyView(ObjectMixin, View):
    """Reply on a deficiency (the physician's "reply" in the chart-completion queue)."""

    model = Deficiency
    policy_action = "view"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def post(self, request, public_id):
        deficiency = self.get_object()
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.deficiency_reply(
                    deficiency=deficiency, user=request.user, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Reply added.")
                return redirect("records:deficiency-detail", public_id=deficiency.public_id)
        return render(
            request,
            "records/deficiencies/deficiency_detail.html",
            {"object": deficiency, "reply_form": form},
            status=200,
        )


class DeficiencyCompleteView(ObjectMixin, View):
    """Close an incomplete finding once the document is fixed."""

    model = Deficiency
    policy_action = "change"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def post(self, request, public_id):
        deficiency = self.get_object()
        try:
            services.deficiency_complete(deficiency=deficiency, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Deficiency closed.")
        return redirect("records:deficiency-detail", public_id=deficiency.public_id)


class IncompleteForm(forms.Form):
    note = forms.CharField(
        label="What is incomplete",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="E.g. the operative report lacks the estimated blood loss.",
    )
    due_days = forms.IntegerField(
        label="Days to complete", initial=services.INCOMPLETE_DUE_DAYS, min_value=1, max_value=90
    )


class DocumentFlagIncompleteView(ObjectMixin, View):
    """A technician records that a document is incomplete: a deficiency for its author."""

    model = Document
    policy_action = "view"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/deficiencies/flag_incomplete.html"

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and not policy.needs_second_factor(request.user)
            and not request.user.has_perm("records.add_deficiency")
        ):
            _deny(request, Deficiency, "records.add_deficiency")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, public_id):
        return render(
            request, self.template_name, {"form": IncompleteForm(), "document": self.get_object()}
        )

    def post(self, request, public_id):
        document = self.get_object()
        form = IncompleteForm(request.POST)
        if form.is_valid():
            try:
                deficiency = services.deficiency_flag_incomplete(
                    document=document,
                    user=request.user,
                    note=form.cleaned_data["note"],
                    due_days=form.cleaned_data["due_days"],
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Recorded as incomplete; the provider will see it.")
                return redirect("records:deficiency-detail", public_id=deficiency.public_id)
        return render(request, self.template_name, {"form": form, "document": document})
