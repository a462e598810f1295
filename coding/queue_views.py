"""Screens of the work queue and physician queries. Thin: the rules are in
``coding.services.queue`` and ``coding.services.queue_queries``."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.queue_filters import DnfbFilterSet, PhysicianQueryFilterSet
from coding.services import queue as services
from coding.services import queue_queries as queries
from him import policy, trail
from him.models import User
from him.reports import DateRangeForm
from him.views.base import ObjectMixin, PHIDetailView, PHIListView, PolicyMixin
from records.models import Document, Encounter, Provider

PAGE_SIZE = 50


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _deny(request, model, permission: str, reason: str = ""):
    trail.record(
        trail.Action.DENIED,
        object_type=_label(model),
        outcome=trail.Outcome.DENIED,
        reason=reason or f"role lacks {permission}",
        detail={"path": request.path},
    )
    raise PermissionDenied(reason or "Your role does not allow this.")


class ExtraPermissionMixin:
    """A permission beyond the model's view/add/change (assign, answer, metrics)."""

    extra_permission = ""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            self.extra_permission
            and user.is_authenticated
            and not policy.needs_second_factor(user)
            and not user.has_perm(self.extra_permission)
        ):
            _deny(request, self.model, self.extra_permission)
        return super().dispatch(request, *args, **kwargs)


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def workspace_url(coding: EncounterCoding) -> str:
    try:
        return reverse("coding:workspace", kwargs={"public_id": coding.public_id})
    except NoReverseMatch:  # the workspace part is not installed on this branch
        return reverse("coding:queue")


# The queue ------------------------------------------------------------------------------


class QueueView(PolicyMixin, View):
    model = EncounterCoding
    policy_action = "view"
    template_name = "coding/queue/queue.html"

    def get(self, request):
        base = services.dnfb(request.user)
        filterset = DnfbFilterSet(request.GET or None, queryset=base, request=request)
        queryset = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        rows = list(page.object_list)
        for e in rows:
            e.days = services.days_since(e.discharge_at, today)
        criteria = {
            k: v if len(v) > 1 else v[0] for k, v in request.GET.lists() if any(v) and k != "page"
        }
        trail.record(
            trail.Action.SEARCH if criteria else trail.Action.READ,
            object_type=_label(EncounterCoding),
            detail={
                "view": "dnfb",
                "criteria": criteria,
                "page": page.number,
                "shown": [e.public_ref for e in rows],
            },
        )
        query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
        can_assign = request.user.has_perm("coding.assign_encountercoding")
        context = {
            "filterset": filterset,
            "rows": rows,
            "page_obj": page,
            "query": query,
            "pending_labels": dict(EncounterCoding.Pending.choices),
            "can_assign": can_assign,
            "coders": services.eligible_coders(request.user) if can_assign else [],
            "can_code": request.user.has_perm("coding.change_encountercoding"),
            "can_query": request.user.has_perm("coding.add_physicianquery"),
        }
        return render(request, self.template_name, context)


def _back_to_queue(request):
    target = request.POST.get("next", "")
    if target.startswith("?"):
        return redirect(reverse("coding:queue") + target)
    return redirect("coding:queue")


class QueueAssignView(ExtraPermissionMixin, PolicyMixin, View):
    """Assign or unassign the ticked charts (HIM manager)."""

    model = EncounterCoding
    policy_action = "view"
    extra_permission = "coding.assign_encountercoding"

    def post(self, request):
        ids = request.POST.getlist("encounters")
        username = request.POST.get("coder", "").strip()
        unassign = request.POST.get("action") == "unassign"
        if not ids:
            messages.error(request, "Tick at least one chart first.")
            return _back_to_queue(request)
        try:
            found = list(services.dnfb(request.user).filter(public_id__in=ids))
        except ValidationError:
            found = []
        if len(found) != len(set(ids)):
            messages.error(
                request,
                "Some of the ticked charts are no longer in the queue (final, or outside your "
                "access); nothing was changed. Reload the queue and try again.",
            )
            return _back_to_queue(request)
        coder = None
        if not unassign:
            coder = User.objects.filter(username=username).first() if username else None
            if coder is None:
                messages.error(request, "Choose the coder to assign the charts to.")
                return _back_to_queue(request)
        try:
            done = services.queue_assign(encounters=found, coder=coder, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back_to_queue(request)
        who = coder.username if coder else "nobody"
        messages.success(
            request, f"{len(done)} chart{'s' if len(done) != 1 else ''} assigned to {who}."
        )
        return _back_to_queue(request)


class NextChartView(PolicyMixin, View):
    """A coder takes the oldest unassigned chart that waits for nothing."""

    model = EncounterCoding
    policy_action = "change"

    def post(self, request):
        coding = services.queue_next_chart(user=request.user)
        if coding is None:
            messages.info(request, "No unassigned chart is waiting in your facilities. Well done.")
            return redirect("coding:queue")
        messages.success(request, f"Visit {coding.encounter.number} is yours now.")
        return redirect(workspace_url(coding))


def _queue_encounter(request, public_id) -> Encounter:
    encounter = services.dnfb(request.user).filter(public_id=public_id).first()
    if encounter is None:
        trail.record(
            trail.Action.READ,
            object_type=_label(Encounter),
            object_id=str(public_id),
            outcome=trail.Outcome.NOT_FOUND,
        )
        raise Http404("No such chart in the queue, or it is outside your access.")
    return encounter


class QueueOpenView(PolicyMixin, View):
    """Open a queued chart: its coding row is made the first time (``?to=query``:
    straight to a new physician query)."""

    model = EncounterCoding
    policy_action = "view"

    def get(self, request, public_id):
        from coding.services.encounters import coding_for

        encounter = _queue_encounter(request, public_id)
        may_start = request.user.has_perm("coding.change_encountercoding")
        if encounter.coding_public_id is None and not may_start:
            # Read-only roles look at charts; they do not start them.
            messages.info(request, f"Nobody has started coding visit {encounter.number} yet.")
            return redirect("coding:queue")
        coding = coding_for(encounter)
        if request.GET.get("to") == "query":
            return redirect("coding:query-create", public_id=coding.public_id)
        return redirect(workspace_url(coding))


class PendingForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[
            ("", "Not pending"),
            (EncounterCoding.Pending.DOCUMENTATION, "Awaiting documentation"),
        ],
        required=False,
        label="Pending reason",
    )


class QueuePendingView(PolicyMixin, View):
    model = EncounterCoding
    policy_action = "change"
    template_name = "coding/queue/pending.html"

    def get(self, request, public_id):
        encounter = _queue_encounter(request, public_id)
        form = PendingForm(initial={"reason": encounter.stored_pending})
        return render(request, self.template_name, {"form": form, "encounter": encounter})

    def post(self, request, public_id):
        from coding.services.encounters import coding_for

        encounter = _queue_encounter(request, public_id)
        form = PendingForm(request.POST)
        if form.is_valid():
            try:
                services.coding_set_pending(
                    coding=coding_for(encounter),
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"Visit {encounter.number}: pending reason saved.")
                return redirect("coding:queue")
        context = {"form": form, "encounter": encounter}
        return render(request, self.template_name, context, status=200)


# Productivity and metrics ------------------------------------------------------------------


class RangeForm(DateRangeForm):
    coder = forms.CharField(label="Coder username", required=False, max_length=150)


def _range_form(request) -> tuple[RangeForm, dt.date, dt.date]:
    today = timezone.localdate()
    default = {"date_from": today - dt.timedelta(days=13), "date_to": today}
    form = RangeForm(request.GET or None, initial=default)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    if form.is_bound:
        return form, None, None
    return form, default["date_from"], default["date_to"]


class ProductivityView(ExtraPermissionMixin, PolicyMixin, View):
    model = EncounterCoding
    policy_action = "view"
    extra_permission = "coding.view_coding_productivity"
    template_name = "coding/queue/productivity.html"

    def get(self, request):
        form, start, end = _range_form(request)
        classes, rows = [], []
        if start is not None:
            coder = form.cleaned_data.get("coder", "") if form.is_bound else ""
            classes, rows = services.productivity(request.user, start, end, coder=coder.strip())
        labels = dict(Encounter.Class.choices)
        trail.record(
            trail.Action.READ,
            object_type=_label(EncounterCoding),
            detail={
                "view": "productivity",
                "from": start.isoformat() if start else "",
                "to": end.isoformat() if end else "",
            },
        )
        totals = {c: sum(r.counts.get(c, 0) for r in rows) for c in classes}
        context = {
            "form": form,
            "classes": [(c, labels[c]) for c in classes],
            "rows": [
                {
                    "day": r.day,
                    "coder": r.coder,
                    "counts": [r.counts.get(c, 0) for c in classes],
                    "total": r.total,
                }
                for r in rows
            ],
            "totals": [totals[c] for c in classes],
            "grand_total": sum(totals.values()),
        }
        return render(request, self.template_name, context)


class QueryMetricsView(ExtraPermissionMixin, PolicyMixin, View):
    model = PhysicianQuery
    policy_action = "view"
    extra_permission = "coding.view_query_metrics"
    template_name = "coding/queue/query_metrics.html"

    def get(self, request):
        form, start, end = _range_form(request)
        rows = queries.query_metrics(request.user, start, end) if start is not None else []
        trail.record(
            trail.Action.READ,
            object_type=_label(PhysicianQuery),
            detail={
                "view": "query-metrics",
                "from": start.isoformat() if start else "",
                "to": end.isoformat() if end else "",
            },
        )
        return render(request, self.template_name, {"form": form, "rows": rows})


# Physician queries ----------------------------------------------------------------------------


_QUERY_RELATED = ("coding__encounter__patient", "coding__encounter__facility", "provider")


class QueryListView(PHIListView):
    model = PhysicianQuery
    filterset_class = PhysicianQueryFilterSet
    template_name = "coding/queue/query_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related(*_QUERY_RELATED, "template")


class QueryInboxView(ExtraPermissionMixin, PHIListView):
    """The provider's queue: queries addressed to the signed-in physician, waiting."""

    model = PhysicianQuery
    extra_permission = "coding.answer_physicianquery"
    template_name = "coding/queue/query_inbox.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(provider__user=self.request.user, status=PhysicianQuery.Status.SENT)
            .select_related(*_QUERY_RELATED)
            .order_by("sent_at", "pk")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["is_provider"] = Provider.objects.filter(user=self.request.user).exists()
        return data


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        # Say up front who cannot receive a query (the service refuses them too).
        return str(obj) if obj.user_id else f"{obj} (no HIM account: cannot receive queries)"


class QueryForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=QueryTemplate.objects.filter(active=True),
        required=False,
        empty_label="(no template: write the query)",
    )
    provider = ProviderChoiceField(
        queryset=Provider.objects.filter(active=True),
        help_text="Only providers with a user account can receive a query.",
    )
    kind = forms.ChoiceField(choices=PhysicianQuery.Kind.choices, required=False)
    yes_no_situation = forms.ChoiceField(
        choices=PhysicianQuery.Situation.choices, required=False, label="Yes/no allowed because"
    )
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    clinical_indicators = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="Cite what the chart shows and where (results, findings, treatment).",
    )
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="Multiple choice: one option per line, including “Other (please specify)” "
        "and “Clinically undetermined”.",
    )

    def option_list(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data.get("options", "").splitlines()
            if line.strip()
        ]


def _coding_in_reach(request, public_id) -> EncounterCoding:
    coding = (
        EncounterCoding.objects.visible_to(request.user, "view")
        .select_related("encounter__patient", "encounter__facility")
        .filter(public_id=public_id)
        .first()
    )
    if coding is None:
        trail.record(
            trail.Action.READ,
            object_type=_label(EncounterCoding),
            object_id=str(public_id),
            outcome=trail.Outcome.NOT_FOUND,
        )
        raise Http404("No such chart, or it is outside your access.")
    return coding


class QueryCreateView(PolicyMixin, View):
    model = PhysicianQuery
    policy_action = "add"
    template_name = "coding/queue/query_form.html"

    def _render(self, request, form, coding, status=200):
        documents = (
            Document.objects.visible_to(request.user, "view")
            .filter(encounter=coding.encounter)
            .exclude(status=Document.Status.ENTERED_IN_ERROR)
            .order_by("service_date")
        )
        context = {
            "form": form,
            "coding": coding,
            "encounter": coding.encounter,
            "templates": QueryTemplate.objects.filter(active=True),
            "documents": documents,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, public_id):
        coding = _coding_in_reach(request, public_id)
        initial = {"kind": PhysicianQuery.Kind.MULTIPLE_CHOICE}
        template = None
        key = request.GET.get("template")
        if key:
            template = QueryTemplate.objects.filter(active=True, key=key).first()
        if template is not None:
            initial.update(
                template=template,
                kind=template.kind,
                question=template.question,
                yes_no_situation=template.yes_no_situation,
                options="\n".join(
                    template.full_options()
                    if template.kind == PhysicianQuery.Kind.MULTIPLE_CHOICE
                    else (queries.YES_NO_OPTIONS if template.kind == "yes_no" else [])
                ),
            )
        else:
            initial["options"] = "\n".join(queries.REQUIRED_OPTIONS)
        if coding.encounter.attending_id:
            initial["provider"] = coding.encounter.attending_id
        return self._render(request, QueryForm(initial=initial), coding)

    def post(self, request, public_id):
        coding = _coding_in_reach(request, public_id)
        form = QueryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            template = data["template"]
            try:
                query = queries.query_create(
                    coding=coding,
                    provider=data["provider"],
                    template=template,
                    kind=data["kind"] or (template.kind if template else ""),
                    question=data["question"],
                    clinical_indicators=data["clinical_indicators"],
                    options=form.option_list(),
                    yes_no_situation=data["yes_no_situation"],
                    user=request.user,
                )
                if request.POST.get("send"):
                    queries.query_send(query=query, user=request.user)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                trail.record(trail.Action.CREATE, obj=query)
                sent = query.status == PhysicianQuery.Status.SENT
                messages.success(
                    request,
                    f"Query sent to {query.provider}." if sent else "Query saved as a draft.",
                )
                return redirect("coding:query-detail", public_id=query.public_id)
        return self._render(request, form, coding)


class QueryDetailView(PHIDetailView):
    model = PhysicianQuery
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "coding/queue/query_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(*_QUERY_RELATED, "template", "answer_document", "created_by", "sent_by")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        query = self.object
        user = self.request.user
        data["may_answer"] = query.is_outstanding and not queries.answer_refusal(query, user)
        data["may_change"] = user.has_perm("coding.change_physicianquery")
        data["answer_form"] = AnswerForm(query=query)
        return data


class QueryActionView(ObjectMixin, View):
    model = PhysicianQuery
    policy_action = "change"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def post(self, request, public_id):
        query = self.get_object()
        try:
            self.act(request, query)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("coding:query-detail", public_id=query.public_id)


class QuerySendView(QueryActionView):
    def act(self, request, query):
        queries.query_send(query=query, user=request.user)
        messages.success(request, f"Query sent to {query.provider}.")


class QueryCancelView(QueryActionView):
    def act(self, request, query):
        queries.query_cancel(query=query, user=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, "Query cancelled.")


class AnswerForm(forms.Form):
    option = forms.ChoiceField(required=False, widget=forms.RadioSelect, label="Your answer")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Specify / comment",
    )

    def __init__(self, *args, query: PhysicianQuery, **kwargs):
        super().__init__(*args, **kwargs)
        if query.options:
            self.fields["option"].choices = [(o, o) for o in query.options]
        else:
            del self.fields["option"]
            self.fields["text"].label = "Your answer"


class QueryAnswerView(ExtraPermissionMixin, ObjectMixin, View):
    model = PhysicianQuery
    policy_action = "view"
    extra_permission = "coding.answer_physicianquery"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "coding/queue/query_answer.html"

    def _query(self):
        query = self.get_object()
        refusal = queries.answer_refusal(query, self.request.user)
        if refusal:
            _deny(self.request, PhysicianQuery, "", refusal)
        return query

    def _render(self, request, form, query, status=200):
        return render(request, self.template_name, {"form": form, "object": query}, status=status)

    def get(self, request, public_id):
        query = self._query()
        trail.record(trail.Action.READ, obj=query)
        return self._render(request, AnswerForm(query=query), query)

    def post(self, request, public_id):
        query = self._query()
        form = AnswerForm(request.POST, query=query)
        if form.is_valid():
            try:
                queries.query_answer(
                    query=query,
                    user=request.user,
                    option=form.cleaned_data.get("option", ""),
                    text=form.cleaned_data.get("text", ""),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Thank you: your answer is filed in the chart.")
                return redirect("coding:query-inbox")
        return self._render(request, form, query)
