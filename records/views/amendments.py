"""Screens of the amendment workflow (45 CFR 164.526): work queue, new request,
detail with its actions, letter download. Rules live in records.services.amendments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import generic

from him import policy, trail
from him.trail import Action, Outcome
from him.views.base import ObjectMixin, OutOfReach, PHIDetailView, PHIListView, PolicyMixin
from records import forms_amendments as f
from records.filters_amendments import AmendmentRequestFilterSet
from records.models import AmendmentRequest
from records.selectors.amendments import amendment_queue_counts
from records.services import amendments as services


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors next to the fields they name (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@dataclass(frozen=True)
class Step:
    label: str
    form: type[forms.Form]
    service: Callable
    available: Callable[[AmendmentRequest], bool]
    decides: bool = False
    done: str = "Saved."


STEPS: dict[str, Step] = {
    "extend": Step(
        "Extend 30 days",
        f.ExtendForm,
        services.amendment_extend,
        lambda r: r.can_extend,
        done="Extended by 30 days.",
    ),
    "accept": Step(
        "Accept",
        f.AcceptForm,
        services.amendment_accept,
        lambda r: r.is_open,
        decides=True,
        done="Accepted: the amendment was appended to each document.",
    ),
    "deny": Step(
        "Deny",
        f.DenyForm,
        services.amendment_deny,
        lambda r: r.is_open,
        decides=True,
        done="Denied: the denial letter is ready to send.",
    ),
    "disagreement": Step(
        "Record statement of disagreement",
        f.DisagreementForm,
        services.amendment_record_disagreement,
        lambda r: r.can_record_disagreement,
        done="Statement of disagreement recorded.",
    ),
    "rebuttal": Step(
        "Record rebuttal",
        f.RebuttalForm,
        services.amendment_record_rebuttal,
        lambda r: r.can_record_rebuttal,
        done="Rebuttal recorded; send the individual a copy.",
    ),
    "withdraw": Step(
        "Withdraw",
        f.WithdrawForm,
        services.amendment_withdraw,
        lambda r: r.is_open,
        done="Request withdrawn.",
    ),
}


class AmendmentListView(PHIListView):
    """The work queue: open, due soon, overdue; filters shared with the API."""

    model = AmendmentRequest
    filterset_class = AmendmentRequestFilterSet
    template_name = "records/amendments/list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .with_deadline()
            .select_related("patient")
            .order_by("effective_due", "received_on")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["counts"] = amendment_queue_counts(self.request.user)
        data["today"] = timezone.localdate()
        return data


class AmendmentCreateView(PolicyMixin, generic.FormView):
    """Log a written request. The service writes the trail row; the result is
    re-checked against the user's reach, as the base write views do."""

    model = AmendmentRequest
    policy_action = "add"
    form_class = f.AmendmentRequestForm
    template_name = "records/amendments/form.html"

    def dispatch(self, request, *args, **kwargs):
        self.patient = None
        self.patient_error = ""
        return super().dispatch(request, *args, **kwargs)

    def _find_patient(self, text: str):
        if not text:
            return None
        try:
            return f.patient_lookup(self.request.user, text)
        except forms.ValidationError as exc:
            self.patient_error = exc.messages[0]
            return None

    def get(self, request, *args, **kwargs):
        self.patient = self._find_patient(request.GET.get("patient", ""))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.patient = self._find_patient(request.POST.get("patient", ""))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, patient=self.patient)
        return kwargs

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(
            patient=self.patient,
            patient_query=self.request.GET.get("patient", ""),
            patient_error=self.patient_error,
        )
        return data

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                obj = services.amendment_receive(
                    patient=data["patient"],
                    documents=list(data["documents"]),
                    requested_change=data["requested_change"],
                    requester_name=data["requester_name"],
                    requester_relationship=data["requester_relationship"],
                    received_on=data["received_on"],
                    user=self.request.user,
                )
                if not policy.can(self.request.user, "view", obj):
                    raise OutOfReach
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            trail.record(
                Action.DENIED,
                object_type="records.amendmentrequest",
                outcome=Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            form.add_error(
                None, "Not saved: the result would be outside the facilities you can reach."
            )
            return self.form_invalid(form)
        messages.success(self.request, f"Request received; due {obj.due_on:%Y-%m-%d}.")
        return redirect("records:amendment-detail", obj.public_id)


def detail_context(request, obj: AmendmentRequest, bound: dict | None = None) -> dict:
    """The detail page's data: the request, its documents, and the forms the user may use."""
    user = request.user
    bound = bound or {}
    may_change = user.has_perm("records.change_amendmentrequest")
    may_decide = user.has_perm(services.DECIDE_PERMISSION)
    steps = []
    for name, step in STEPS.items():
        if not step.available(obj) or not may_change or (step.decides and not may_decide):
            continue
        form = bound.get(name) or step.form(prefix=name)
        steps.append({"name": name, "label": step.label, "form": form, "open": name in bound})
    return {
        "object": obj,
        "amendment": obj,
        "documents": obj.documents.all(),
        "steps": steps,
        "today": timezone.localdate(),
    }


class AmendmentDetailView(PHIDetailView):
    model = AmendmentRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/amendments/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "patient__facility", "decided_by")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(detail_context(self.request, self.object))
        return data


class AmendmentActionView(ObjectMixin, generic.View):
    """POST one step (extend, accept, deny, ...); errors re-show the detail page."""

    model = AmendmentRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, public_id, step):
        if step not in STEPS:
            raise Http404("No such action.")
        spec = STEPS[step]
        obj = self.get_object()
        if spec.decides and not request.user.has_perm(services.DECIDE_PERMISSION):
            trail.record(
                Action.DENIED,
                obj=obj,
                outcome=Outcome.DENIED,
                reason=f"role lacks {services.DECIDE_PERMISSION}",
                detail={"path": request.path},
            )
            raise PermissionDenied("Only an HIM manager or the privacy officer may decide.")
        form = spec.form(request.POST, prefix=step)
        if form.is_valid():
            try:
                spec.service(request=obj, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, spec.done)
                return redirect("records:amendment-detail", obj.public_id)
        obj.refresh_from_db()
        context = detail_context(request, obj, bound={step: form})
        return render(request, "records/amendments/detail.html", context)


class AmendmentLetterView(ObjectMixin, generic.View):
    """The denial letter or acceptance notice (PDF); each download is an export."""

    model = AmendmentRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get(self, request, public_id, kind):
        obj = self.get_object()
        try:
            handle = services.amendment_letter_download(request=obj, kind=kind, user=request.user)
        except FileNotFoundError:
            raise Http404("This request has no such letter.") from None
        name = "denial-letter" if kind == "denial" else "acceptance-notice"
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"amendment-{obj.short_ref}-{name}.pdf",
            content_type="application/pdf",
        )


def chart_link(patient) -> str:
    return f"{reverse('records:amendment-add')}?patient={patient.enterprise_id}"
