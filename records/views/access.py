"""Screens: the break-the-glass dialog, the privacy officer's review queue, grants."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import generic

from him import trail
from him.models import User
from him.views.base import PHIDetailView, PHIListView, PolicyMixin
from records.forms_access import BreakGlassForm, DocumentGrantForm, PatientGrantForm, ReviewForm
from records.models import (
    BreakGlassAccess,
    DocumentUserObjectPermission,
    PatientUserObjectPermission,
)
from records.selectors import access as selectors
from records.services import access as services


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Break-the-glass dialog ------------------------------------------------------------------


class BreakGlassRequestView(PolicyMixin, generic.FormView):
    model = BreakGlassAccess
    policy_action = "add"
    form_class = BreakGlassForm
    template_name = "records/access/break_glass_form.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["hours"] = _hours()
        data["mine"] = (
            BreakGlassAccess.objects.filter(user=self.request.user)
            .select_related("patient")
            .order_by("-started_at")[:10]
        )
        return data

    def form_valid(self, form):
        try:
            row = services.breakglass_request(
                user=self.request.user,
                identifier=form.cleaned_data["identifier"],
                reason_code=form.cleaned_data["reason_code"],
                reason_text=form.cleaned_data["reason_text"],
            )
        except services.AlreadyReachable as reachable:
            messages.info(self.request, "You can already open this record; no emergency access.")
            return redirect("records:patient-detail", reachable.patient.enterprise_id)
        except ValidationError as error:
            _apply_errors(form, error)
            return self.form_invalid(form)
        local = timezone.localtime(row.expires_at)
        messages.warning(
            self.request,
            f"Emergency access granted until {local:%Y-%m-%d %H:%M}. Every view is recorded "
            "and will be reviewed by the privacy officer.",
        )
        return redirect("records:patient-detail", row.patient.enterprise_id)


def _hours() -> float:
    from records.models.access import break_glass_hours

    hours = break_glass_hours()
    return int(hours) if hours == int(hours) else hours


# Review queue ----------------------------------------------------------------------------


class BreakGlassReviewListView(PHIListView):
    model = BreakGlassAccess
    policy_action = "review"
    template_name = "records/access/review_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("user", "patient", "reviewed_by")
        status = self.request.GET.get("status", BreakGlassAccess.ReviewStatus.PENDING)
        if status in BreakGlassAccess.ReviewStatus.values:
            queryset = queryset.filter(review_status=status)
        return queryset.order_by("started_at")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["statuses"] = BreakGlassAccess.ReviewStatus.choices
        data["status"] = self.request.GET.get("status", BreakGlassAccess.ReviewStatus.PENDING)
        return data


class BreakGlassReviewDetailView(PHIDetailView):
    model = BreakGlassAccess
    policy_action = "review"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "records/access/review_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user", "patient", "reviewed_by")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["events"] = selectors.events_under(self.object)
        data.setdefault("form", ReviewForm())
        data["own"] = self.object.user_id == self.request.user.pk
        return data

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                services.breakglass_review(
                    access_row=self.object,
                    reviewer=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Review saved.")
                return redirect("records:breakglass-review-list")
        return self.render_to_response(self.get_context_data(form=form))


# Grants ----------------------------------------------------------------------------------


class GrantsView(PolicyMixin, generic.TemplateView):
    """Who may open which restricted patient and sensitive document, and who holds
    the category permissions. Changes go through records.services.access."""

    model = PatientUserObjectPermission
    template_name = "records/access/grants.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        user = self.request.user
        patient_users, patient_groups = selectors.patient_grants(user)
        document_users, document_groups = selectors.document_grants(user)
        data.update(
            patient_users=list(patient_users),
            patient_groups=list(patient_groups),
            document_users=list(document_users),
            document_groups=list(document_groups),
            categories=selectors.category_holders(),
        )
        data.setdefault("patient_form", PatientGrantForm())
        data.setdefault("document_form", DocumentGrantForm())
        shown = sorted(
            {g.content_object.enterprise_id for g in data["patient_users"] + data["patient_groups"]}
        )
        trail.record(
            trail.Action.READ,
            object_type="records.patientuserobjectpermission",
            detail={"shown": shown},
        )
        return data


def _grantee(form) -> User | None:
    user = User.objects.filter(username=form.cleaned_data["username"], is_active=True).first()
    if user is None:
        form.add_error("username", "No active user has that user name.")
    return user


class PatientGrantAddView(GrantsView):
    policy_action = "add"

    def post(self, request, *args, **kwargs):
        form = PatientGrantForm(request.POST)
        if form.is_valid():
            grantee = _grantee(form)
            patient = selectors.patient_in_reach(request.user, form.cleaned_data["enterprise_id"])
            if patient is None:
                form.add_error(
                    "enterprise_id", "No patient with that enterprise id in your facilities."
                )
            if form.is_valid():
                services.patient_grant_add(patient=patient, grantee=grantee, by=request.user)
                messages.success(
                    request, f"{grantee.username} may now open {patient.enterprise_id}."
                )
                return redirect("records:access-grants")
        return self.render_to_response(self.get_context_data(patient_form=form))


class DocumentGrantAddView(GrantsView):
    model = DocumentUserObjectPermission
    policy_action = "add"

    def post(self, request, *args, **kwargs):
        form = DocumentGrantForm(request.POST)
        if form.is_valid():
            grantee = _grantee(form)
            document = selectors.document_in_reach(request.user, form.cleaned_data["document"])
            if document is None:
                form.add_error("document", "No document with that id in your facilities.")
            if form.is_valid():
                services.document_grant_add(document=document, grantee=grantee, by=request.user)
                messages.success(request, f"{grantee.username} may now see that document.")
                return redirect("records:access-grants")
        return self.render_to_response(self.get_context_data(document_form=form))


class GrantRemoveView(PolicyMixin, generic.View):
    policy_action = "delete"
    kind = "patient"

    @property
    def model(self):
        return (
            PatientUserObjectPermission if self.kind == "patient" else DocumentUserObjectPermission
        )

    def post(self, request, pk):
        if self.kind == "patient":
            grants, _ = selectors.patient_grants(request.user)
            remove = services.patient_grant_remove
        else:
            grants, _ = selectors.document_grants(request.user)
            remove = services.document_grant_remove
        grant = grants.filter(pk=pk).first()
        if grant is None:
            raise Http404("No such grant, or it is outside your access.")
        remove(grant=grant, by=request.user)
        messages.success(request, "Access removed.")
        return redirect(reverse("records:access-grants"))
