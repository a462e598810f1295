"""Screens of the requests part: work list, intake, the request page with its clock,
status moves, extension, identity and letters, requesters, facility settings and the
ROI dashboard. Rules live in release_of_info.services."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views import generic

from him import policy, trail
from him.models import Facility
from him.trail import Action, Outcome
from him.views.base import (
    ObjectMixin,
    OutOfReach,
    PHICreateView,
    PHIDetailView,
    PHIListView,
    PHIUpdateView,
    PolicyMixin,
)
from release_of_info import panels
from release_of_info import requests_forms as f
from release_of_info.models import Requester, ROIRequest
from release_of_info.models.requests import RequestLetter, ROIFacilitySettings
from release_of_info.requests_filters import RequesterFilterSet, ROIRequestFilterSet
from release_of_info.services import requests as services
from release_of_info.services import requests_queries as queries
from release_of_info.services.status import allowed_next, roi_request_set_status

logger = logging.getLogger(__name__)
S = ROIRequest.Status

# Set by the services that own them: the packet build (quality check) and the release.
SYSTEM_STATUSES = {S.QUALITY_CHECK, S.RELEASED}
DENY_PERMISSION = "release_of_info.deny_roirequest"


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors next to the fields they name (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def manual_moves(roi: ROIRequest, user) -> list[tuple[str, str]]:
    """The status moves a person may make from the request page."""
    moves = []
    for value in allowed_next(roi):
        if value in SYSTEM_STATUSES:
            continue
        if value == S.DENIED and not user.has_perm(DENY_PERMISSION):
            continue
        moves.append((value, S(value).label))
    return moves


def _denied(request, obj, reason: str):
    trail.record(
        Action.DENIED,
        obj=obj,
        outcome=Outcome.DENIED,
        reason=reason,
        detail={"path": request.path},
    )


# Work list -------------------------------------------------------------------------------


class ROIRequestListView(PHIListView):
    model = ROIRequest
    filterset_class = ROIRequestFilterSet
    template_name = "release_of_info/requests/list.html"

    def get_queryset(self):
        queryset = super().get_queryset()
        if not any(v for k, v in self.request.GET.items() if k != "page"):
            # The work list opens on the work: closed requests only when asked for.
            queryset = queries.open_requests(queryset)
        return (
            queries.with_deadline(queryset)
            .select_related("patient", "requester", "assigned_to", "facility")
            .order_by("deadline", "number")
        )

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for roi in data["object_list"]:
            roi.red = queries.is_red(roi, today)
            roi.days_left = services.days_left(roi, today)
        query = self.request.GET.copy()
        query.pop("page", None)
        data.update(
            today=today,
            query=query.urlencode(),
            figures=queries.dashboard(self.request.user, today=today),
        )
        return data


# Intake ----------------------------------------------------------------------------------


class ROIRequestCreateView(PolicyMixin, generic.FormView):
    """Log a request for a patient the user can reach; others are 'not found'."""

    model = ROIRequest
    policy_action = "add"
    form_class = f.ROIRequestForm
    template_name = "release_of_info/requests/form.html"

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

    def get_initial(self):
        return {"received_on": timezone.localdate(), "assigned_to": self.request.user.username}

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
            due_days=services.due_days_for(self.patient.facility if self.patient else None),
        )
        return data

    def form_valid(self, form):
        user = self.request.user
        try:
            with transaction.atomic():
                requester = form.requester_or_new()
                obj = services.roi_request_create(
                    patient=form.cleaned_data["patient"],
                    requester=requester,
                    user=user,
                    **form.service_kwargs(),
                )
                if not policy.can(user, "view", obj):
                    raise OutOfReach
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            trail.record(
                Action.DENIED,
                object_type="release_of_info.roirequest",
                outcome=Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            form.add_error(
                None, "Not saved: the result would be outside the facilities you can reach."
            )
            return self.form_invalid(form)
        messages.success(self.request, f"Request {obj.number} logged; due {obj.due_on:%Y-%m-%d}.")
        return redirect("release_of_info:roirequest-detail", obj.public_id)


# The request page ---------------------------------------------------------------------------


def _panel_sections(request, roi: ROIRequest, page: dict) -> list[dict]:
    """Every registered panel the user may see, rendered with its own template."""
    sections = []
    for panel in panels.for_user(request.user):
        try:
            extra = panel.context(request=request, roi=roi) or {}
            html = render_to_string(panel.template, {**page, **extra}, request=request)
        except (PermissionDenied, Http404):
            continue
        except Exception:  # noqa: BLE001 - one broken panel must not take the page down
            logger.exception("request page panel %s failed", panel.key)
            html = '<p class="error">This panel is unavailable right now.</p>'
        sections.append({"key": panel.key, "title": panel.title, "html": mark_safe(html)})  # noqa: S308
    return sections


def status_history(roi: ROIRequest) -> list[dict]:
    """Each status the request went through: when, by whom, why (from its history rows)."""
    rows = roi.history.order_by("history_date", "history_id").values(
        "history_date", "history_user__username", "status", "status_reason"
    )
    moves, previous = [], None
    for row in rows:
        if row["status"] != previous:
            moves.append({**row, "label": S(row["status"]).label})
            previous = row["status"]
    return moves


def request_page_context(request, roi: ROIRequest, bound: dict | None = None) -> dict:
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    may_change = user.has_perm("release_of_info.change_roirequest") and roi.is_open
    moves = manual_moves(roi, user) if may_change else []
    letters = []
    if user.has_perm("release_of_info.view_requestletter"):
        letters = list(RequestLetter.objects.visible_to(user).filter(roi=roi))
    page = {
        "object": roi,
        "roi": roi,
        "today": today,
        "days_left": services.days_left(roi, today),
        "days_over": -services.days_left(roi, today),
        "red": queries.is_red(roi, today),
        "needs_identity": services.needs_identity_verification(roi),
        "may_change": may_change,
        "status_form": bound.get("status") or (f.StatusForm(prefix="status", choices=moves)),
        "moves": moves,
        "may_extend": may_change and roi.extended_due_on is None and today <= roi.due_on,
        "extend_form": bound.get("extend") or f.ExtendForm(prefix="extend"),
        "identity_form": bound.get("identity") or f.IdentityForm(prefix="identity"),
        "open_step": next(iter(bound), ""),
        "letters": letters,
        "encounters": roi.encounters.all(),
        "status_history": status_history(roi),
        "document_type_labels": [
            label
            for value, label in services.document_type_choices()
            if value in roi.document_types
        ],
        "roi_settings": services.settings_for(roi.facility),
        # The limit in force when the request was logged (settings may have changed since).
        "due_days_used": (roi.due_on - roi.received_on).days,
    }
    page["panels"] = _panel_sections(request, roi, page)
    return page


class _RequestObject:
    model = ROIRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("patient", "requester", "facility", "assigned_to")
        )


class ROIRequestDetailView(_RequestObject, PHIDetailView):
    template_name = "release_of_info/requests/detail.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(request_page_context(self.request, self.object))
        return data


class ROIRequestUpdateView(_RequestObject, ObjectMixin, generic.FormView):
    """Correct what was logged (requester, what is asked, assignment...)."""

    policy_action = "change"
    form_class = f.ROIRequestEditForm
    template_name = "release_of_info/requests/edit.html"

    def dispatch(self, request, *args, **kwargs):
        self._obj = None
        return super().dispatch(request, *args, **kwargs)

    @property
    def roi(self) -> ROIRequest:
        if self._obj is None:
            self._obj = self.get_object()
        return self._obj

    def get_initial(self):
        return f.ROIRequestEditForm.initial_for(self.roi)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, patient=self.roi.patient)
        return kwargs

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(roi=self.roi, object=self.roi)
        return data

    def form_valid(self, form):
        roi = self.roi
        user = self.request.user
        try:
            with transaction.atomic():
                requester = form.requester_or_new()
                kwargs = form.service_kwargs()
                services.roi_request_update(roi=roi, user=user, requester=requester, **kwargs)
                if not policy.can(user, "view", roi):
                    raise OutOfReach
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            trail.record(
                Action.DENIED,
                object_type="release_of_info.roirequest",
                outcome=Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            form.add_error(
                None, "Not saved: the result would be outside the facilities you can reach."
            )
            return self.form_invalid(form)
        messages.success(self.request, "Request updated.")
        return redirect("release_of_info:roirequest-detail", roi.public_id)


class ROIRequestActionView(_RequestObject, ObjectMixin, generic.View):
    """POST one step from the request page: status, extend, identity."""

    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, public_id, step):
        roi = self.get_object()
        user = request.user
        if step == "status":
            form = f.StatusForm(request.POST, prefix="status", choices=manual_moves(roi, user))
            wanted = request.POST.get("status-status", "")
            if wanted == S.DENIED and not user.has_perm(DENY_PERMISSION):
                _denied(request, roi, f"role lacks {DENY_PERMISSION}")
                raise PermissionDenied("Your role may not deny a request.")
            if wanted in SYSTEM_STATUSES and wanted in allowed_next(roi):
                form.is_valid()
                form.add_error(
                    None,
                    f"A request moves to {S(wanted).label.lower()} through the packet and "
                    "release steps, not by hand.",
                )
            elif form.is_valid():
                try:
                    roi_request_set_status(
                        roi=roi,
                        status=form.cleaned_data["status"],
                        user=user,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    done = S(form.cleaned_data["status"]).label.lower()
                    note = " The denial letter is ready." if done == "denied" else ""
                    messages.success(request, f"Request {roi.number} is now {done}.{note}")
                    return redirect("release_of_info:roirequest-detail", roi.public_id)
        elif step == "extend":
            form = f.ExtendForm(request.POST, prefix="extend")
            if form.is_valid():
                try:
                    services.roi_request_extend(roi=roi, user=user, **form.cleaned_data)
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(
                        request, "Extended; the notice letter is ready to send before the due date."
                    )
                    return redirect("release_of_info:roirequest-detail", roi.public_id)
        elif step == "identity":
            form = f.IdentityForm(request.POST, prefix="identity")
            if form.is_valid():
                try:
                    services.roi_request_verify_identity(roi=roi, user=user, **form.cleaned_data)
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, "Identity verification recorded.")
                    return redirect("release_of_info:roirequest-detail", roi.public_id)
        else:
            raise Http404("No such action.")
        roi.refresh_from_db()
        context = request_page_context(request, roi, bound={step: form})
        return render(request, "release_of_info/requests/detail.html", context, status=200)


class RequestLetterView(ObjectMixin, generic.View):
    """A stored letter (PDF); each download is an export in the trail."""

    model = RequestLetter
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get(self, request, public_id):
        letter = self.get_object()
        try:
            handle = services.letter_open(letter=letter, user=request.user)
        except FileNotFoundError:
            raise Http404("This letter's file is missing.") from None
        return FileResponse(
            handle, as_attachment=True, filename=letter.filename, content_type="application/pdf"
        )


# Requesters ------------------------------------------------------------------------------


class RequesterListView(PHIListView):
    model = Requester
    filterset_class = RequesterFilterSet
    template_name = "release_of_info/requests/requester_list.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data["query"] = query.urlencode()
        return data


class RequesterDetailView(PHIDetailView):
    model = Requester
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    template_name = "release_of_info/requests/requester_detail.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["requests"] = (
            ROIRequest.objects.visible_to(self.request.user)
            .filter(requester=self.object)
            .select_related("patient")
            .order_by("-received_on")[:50]
        )
        return data


class RequesterCreateView(PHICreateView):
    model = Requester
    form_class = f.RequesterForm
    template_name = "release_of_info/requests/requester_form.html"
    success_message = "Requester added."

    def get_success_url(self):
        return reverse("release_of_info:requester-detail", args=[self.object.public_id])


class RequesterUpdateView(PHIUpdateView):
    model = Requester
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    form_class = f.RequesterForm
    template_name = "release_of_info/requests/requester_form.html"

    def get_success_url(self):
        return reverse("release_of_info:requester-detail", args=[self.object.public_id])


# Facility settings -------------------------------------------------------------------------


class SettingsView(PolicyMixin, generic.TemplateView):
    """Each reachable facility's response limit; the HIM manager changes them."""

    model = ROIFacilitySettings
    template_name = "release_of_info/requests/settings.html"

    def get_policy_action(self) -> str:
        return "view" if self.request.method in ("GET", "HEAD") else "change"

    def _facilities(self):
        return Facility.objects.filter(pk__in=policy.facility_ids(self.request.user)).order_by(
            "code"
        )

    def _rows(self, bound: dict | None = None) -> list[dict]:
        rows = []
        may_change = self.request.user.has_perm("release_of_info.change_roifacilitysettings")
        for facility in self._facilities():
            current = services.settings_for(facility)
            form = (bound or {}).get(facility.code) or f.SettingsForm(
                prefix=facility.code,
                initial={"due_days": current.due_days, "legal_basis": current.legal_basis},
            )
            rows.append(
                {"facility": facility, "settings": current, "form": form, "may_change": may_change}
            )
        return rows

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["rows"] = self._rows()
        return data

    def post(self, request, *args, **kwargs):
        code = request.POST.get("facility", "")
        facility = self._facilities().filter(code=code).first()
        if facility is None:
            raise Http404("No such facility, or it is outside your access.")
        form = f.SettingsForm(request.POST, prefix=facility.code)
        if form.is_valid():
            try:
                services.roi_settings_update(
                    facility=facility, user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                trail.record(
                    Action.UPDATE,
                    object_type="release_of_info.roifacilitysettings",
                    object_id=str(facility.pk),
                    reason="ROI response limit set",
                    detail={"facility": facility.code, **form.cleaned_data},
                )
                messages.success(
                    request,
                    f"{facility.name}: requests are due in {form.cleaned_data['due_days']} days.",
                )
                return redirect("release_of_info:settings")
        return render(
            request, self.template_name, {"rows": self._rows({facility.code: form})}, status=200
        )


# Dashboard --------------------------------------------------------------------------------


class DashboardView(PolicyMixin, generic.TemplateView):
    model = ROIRequest
    template_name = "release_of_info/requests/dashboard.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        facility_code = self.request.GET.get("facility", "")
        reachable = Facility.objects.filter(pk__in=policy.facility_ids(self.request.user)).order_by(
            "code"
        )
        facility = reachable.filter(code=facility_code).first() if facility_code else None
        data.update(
            figures=queries.dashboard(
                self.request.user, facility_id=facility.pk if facility else None
            ),
            facilities=reachable,
            facility=facility,
            due_soon_days=queries.DUE_SOON_DAYS,
        )
        return data
