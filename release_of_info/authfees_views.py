"""Screens of the authfees part: authorizations, the 164.512 basis, identity
verification, fee policy and schedules, invoice actions. Thin: rules live in
release_of_info.services.authorization and .authfees_fees."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import FormView

from him import policy, trail
from him.models import Facility
from him.trail import Action, Outcome
from him.views.base import (
    ObjectMixin,
    OutOfReach,
    PHICreateView,
    PHIDeleteView,
    PHIDetailView,
    PHIListView,
    PHIUpdateView,
    PolicyMixin,
)
from records.files import INLINE_TYPES
from release_of_info import authfees_forms as forms
from release_of_info.authfees_panels import (
    authorization_panel_context,
    checklist,
    coverage_summary,
    fees_panel_context,
    request_page_url,
)
from release_of_info.models import (
    Authorization,
    DisclosureBasis,
    FeePolicy,
    FeeSchedule,
    Invoice,
    ROIRequest,
)
from release_of_info.services import authfees_fees as fees
from release_of_info.services import authorization as services

ACTION_TEMPLATE = "release_of_info/authfees/action_form.html"


def add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def reachable_request(user, public_id, action: str = "view") -> ROIRequest:
    """The request by its public id, through the policy: out of reach is 404 (and trailed)."""
    try:
        return ROIRequest.objects.visible_to(user, action).get(public_id=public_id)
    except (ROIRequest.DoesNotExist, ValueError, ValidationError):
        trail.record(
            Action.READ,
            object_type="release_of_info.roirequest",
            object_id=str(public_id)[:64],
            outcome=Outcome.NOT_FOUND,
        )
        raise Http404("No such request, or it is outside your access.") from None


class PublicIdMixin:
    slug_field = "public_id"
    slug_url_kwarg = "public_id"


# The request's authorization page (the panels, standalone) ---------------------------------


class RequestAuthorizationView(PublicIdMixin, PHIDetailView):
    """The authorization and fees panels of one request on a page of their own."""

    model = ROIRequest
    template_name = "release_of_info/authfees/request_authorization.html"
    context_object_name = "roi"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        roi = self.object
        # The panels' own context, as the request page gives it to them (keys do not clash).
        data.update(authorization_panel_context(request=self.request, roi=roi))
        if self.request.user.has_perm("release_of_info.view_invoice"):
            data.update(fees_panel_context(request=self.request, roi=roi), fees_panel=True)
        data["request_page_url"] = request_page_url(roi)
        return data


# Authorizations ------------------------------------------------------------------------------


class AuthorizationDetailView(PublicIdMixin, PHIDetailView):
    model = Authorization
    template_name = "release_of_info/authfees/authorization_detail.html"
    context_object_name = "authorization"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        auth = self.object
        roi = auth.request
        data.update(
            roi=roi,
            checklist=checklist(auth),
            coverage=coverage_summary(auth),
            problems=services.problems_of(auth, roi, timezone.localdate()),
            verdict=services.verdict(roi),
            request_page_url=request_page_url(roi),
            can_change=self.request.user.has_perm("release_of_info.change_authorization"),
            revoke_form=forms.RevokeForm(),
            upload_form=forms.UploadForm(),
        )
        return data


class _AuthorizationFormMixin:
    model = Authorization
    form_class = forms.AuthorizationForm
    template_name = "release_of_info/authfees/authorization_form.html"

    def get_success_url(self):
        return reverse("release_of_info:authorization-detail", args=[self.object.public_id])

    def save(self, form):
        obj = form.save(commit=False)
        upload = form.cleaned_data.get("upload")
        if upload:
            services.store_file(obj, upload)
        if obj.pk is None:
            obj.created_by = self.request.user
        obj.save()
        form.save_m2m()
        return obj


class AuthorizationCreateView(_AuthorizationFormMixin, PHICreateView):
    success_message = "Authorization recorded."

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            user.is_authenticated
            and not policy.needs_second_factor(user)
            and policy.has_model_permission(user, Authorization, "add")
        ):
            self.roi = reachable_request(request.user, kwargs["public_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "roi": self.roi}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "roi": self.roi}


class AuthorizationUpdateView(PublicIdMixin, _AuthorizationFormMixin, PHIUpdateView):
    success_message = "Authorization saved."

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "roi": self.object.request}


class _ObjectFormView(PublicIdMixin, ObjectMixin, FormView):
    """A small form acting on one object through a service (upload, revoke, pay...)."""

    policy_action = "change"
    template_name = ACTION_TEMPLATE
    title = ""
    submit_label = "Save"
    multipart = False

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def back_url(self) -> str:
        return request_page_url(self.object.request)

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(
            title=self.title,
            submit_label=self.submit_label,
            multipart=self.multipart,
            back_url=self.back_url(),
            object=self.object,
        )
        return data

    def act(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.act(form)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.back_url())


class AuthorizationUploadView(_ObjectFormView):
    model = Authorization
    form_class = forms.UploadForm
    title = "Upload the signed authorization"
    submit_label = "Upload"
    multipart = True
    success_message = "Signed form uploaded."

    def act(self, form):
        services.authorization_attach_file(
            authorization=self.object, uploaded=form.cleaned_data["upload"], user=self.request.user
        )


class AuthorizationRevokeView(_ObjectFormView):
    model = Authorization
    form_class = forms.RevokeForm
    title = "Record the patient's revocation"
    submit_label = "Record the revocation"
    success_message = "Revocation recorded: the authorization no longer permits disclosure."

    def act(self, form):
        services.authorization_revoke(
            authorization=self.object,
            user=self.request.user,
            revoked_on=form.cleaned_data["revoked_on"],
            note=form.cleaned_data.get("note", ""),
        )


class AuthorizationFileView(PublicIdMixin, ObjectMixin, View):
    """The signed form, through the policy; each read is in the trail."""

    model = Authorization
    policy_action = "view"

    def get(self, request, public_id):
        auth = self.get_object()
        if not auth.file:
            raise Http404("No signed form is uploaded for this authorization.")
        try:
            handle = auth.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404("The stored file is missing; tell the HIM department.") from None
        download = request.GET.get("download") == "1"
        trail.record(
            Action.EXPORT if download else Action.READ, obj=auth, reason="signed authorization form"
        )
        content_type = auth.content_type or "application/octet-stream"
        response = FileResponse(
            handle,
            as_attachment=download or content_type not in INLINE_TYPES,
            filename=auth.file_name or "authorization",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# Identity and the 164.512 basis -------------------------------------------------------------


class IdentityVerifyView(_ObjectFormView):
    model = ROIRequest
    form_class = forms.IdentityForm
    title = "Record the identity verification"
    submit_label = "Identity verified"
    success_message = "Identity verification recorded."

    def back_url(self) -> str:
        return request_page_url(self.object)

    def act(self, form):
        services.request_identity_verify(
            request=self.object, user=self.request.user, method=form.cleaned_data["method"]
        )


class DisclosureBasisView(PolicyMixin, FormView):
    """Record (or change) the 164.512 basis that permits disclosure without authorization."""

    model = DisclosureBasis
    policy_action = "add"
    form_class = forms.DisclosureBasisForm
    template_name = ACTION_TEMPLATE

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            user.is_authenticated
            and not policy.needs_second_factor(user)
            and policy.has_model_permission(user, DisclosureBasis, "add")
        ):
            self.roi = reachable_request(request.user, kwargs["public_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        existing = DisclosureBasis.objects.filter(request=self.roi).first()
        if existing is not None:
            kwargs["instance"] = existing
        return kwargs

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.update(
            title=f"Disclosure without authorization (45 CFR 164.512): {self.roi.number}",
            submit_label="Record the basis",
            multipart=True,
            back_url=request_page_url(self.roi),
            hint="A disclosure the rule permits without the patient's authorization. "
            "Court orders, subpoenas, law-enforcement process and research waivers need "
            "their copy uploaded.",
        )
        return data

    def form_valid(self, form):
        try:
            services.disclosure_basis_record(
                request=self.roi,
                user=self.request.user,
                basis=form.cleaned_data["basis"],
                reference=form.cleaned_data.get("reference", ""),
                note=form.cleaned_data.get("note", ""),
                uploaded=form.cleaned_data.get("upload") or None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Disclosure basis recorded.")
        return redirect(request_page_url(self.roi))


class DisclosureBasisFileView(PublicIdMixin, ObjectMixin, View):
    model = DisclosureBasis
    policy_action = "view"

    def get(self, request, public_id):
        basis = self.get_object()
        if not basis.file:
            raise Http404("No document is uploaded for this basis.")
        try:
            handle = basis.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404("The stored file is missing; tell the HIM department.") from None
        trail.record(Action.READ, obj=basis, reason="disclosure basis document")
        response = FileResponse(
            handle,
            as_attachment=basis.content_type not in INLINE_TYPES,
            filename=basis.file_name or "document",
            content_type=basis.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# Fees -----------------------------------------------------------------------------------------


class ManageFeesMixin:
    """Writing the fee set-up also needs ``manage_fees`` (the HIM manager's)."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if (
            user.is_authenticated
            and not policy.needs_second_factor(user)
            and not user.has_perm("release_of_info.manage_fees")
        ):
            trail.record(
                Action.DENIED,
                object_type=f"release_of_info.{self.model._meta.model_name}",
                outcome=Outcome.DENIED,
                reason="role lacks release_of_info.manage_fees",
                detail={"path": request.path},
            )
            raise PermissionDenied("Only the HIM manager manages fees.")
        return super().dispatch(request, *args, **kwargs)


class FeeListView(PHIListView):
    model = FeeSchedule
    template_name = "release_of_info/authfees/fee_list.html"
    paginate_by = 100

    def get_queryset(self):
        return super().get_queryset().select_related("facility")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        user = self.request.user
        facilities = Facility.objects.filter(pk__in=policy.facility_ids(user)).order_by("code")
        data["policies"] = [(f, fees.policy_for(f)) for f in facilities]
        data["can_manage"] = user.has_perm("release_of_info.manage_fees") and user.has_perm(
            "release_of_info.change_feeschedule"
        )
        return data


class FeeScheduleCreateView(ManageFeesMixin, PHICreateView):
    model = FeeSchedule
    form_class = forms.FeeScheduleForm
    template_name = ACTION_TEMPLATE
    success_url = reverse_lazy("release_of_info:fee-list")
    success_message = "Fee schedule saved."
    extra_context = {"title": "New fee schedule", "submit_label": "Save"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "back_url": self.success_url}


class FeeScheduleUpdateView(ManageFeesMixin, PublicIdMixin, PHIUpdateView):
    model = FeeSchedule
    form_class = forms.FeeScheduleForm
    template_name = ACTION_TEMPLATE
    success_url = reverse_lazy("release_of_info:fee-list")
    success_message = "Fee schedule saved."
    extra_context = {"title": "Fee schedule", "submit_label": "Save"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "back_url": self.success_url}


class FeeScheduleDeleteView(ManageFeesMixin, PublicIdMixin, PHIDeleteView):
    model = FeeSchedule
    template_name = ACTION_TEMPLATE
    success_url = reverse_lazy("release_of_info:fee-list")
    extra_context = {"title": "Delete this fee schedule?", "submit_label": "Delete"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "back_url": self.success_url}


class FeePolicyView(ManageFeesMixin, PolicyMixin, FormView):
    """A facility's fee policy for the patient's own copies (made on first save)."""

    model = FeePolicy
    policy_action = "change"
    form_class = forms.FeePolicyForm
    template_name = ACTION_TEMPLATE

    def facility(self) -> Facility:
        code = self.kwargs["code"]
        found = Facility.objects.filter(code=code, pk__in=policy.facility_ids(self.request.user))
        facility = found.first()
        if facility is None:
            trail.record(
                Action.READ,
                object_type="release_of_info.feepolicy",
                object_id=str(code)[:64],
                outcome=Outcome.NOT_FOUND,
            )
            raise Http404("No such facility, or it is outside your access.")
        return facility

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = fees.policy_for(self.facility())
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        facility = self.facility()
        data.update(
            title=f"Patients' copies at {facility.name} (45 CFR 164.524(c)(4))",
            hint="Only labour for copying, supplies and postage, or the flat fee for an "
            "electronic copy: never a search or retrieval fee.",
            submit_label="Save the policy",
            back_url=reverse("release_of_info:fee-list"),
        )
        return data

    def form_valid(self, form):
        try:
            with transaction.atomic():
                obj = form.save(commit=False)
                obj.updated_by = self.request.user
                created = obj.pk is None
                obj.save()
                if not policy.can(self.request.user, "view", obj):
                    raise OutOfReach
                trail.record(Action.CREATE if created else Action.UPDATE, obj=obj)
        except OutOfReach:
            form.add_error(None, "Not saved: outside the facilities you can reach.")
            return self.form_invalid(form)
        messages.success(self.request, "Fee policy saved.")
        return redirect("release_of_info:fee-list")


# Invoices ----------------------------------------------------------------------------------


class InvoicePaidView(_ObjectFormView):
    model = Invoice
    form_class = forms.PaidForm
    title = "Mark the invoice paid"
    submit_label = "Paid"
    success_message = "Invoice marked paid."

    def act(self, form):
        fees.invoice_mark_paid(
            invoice=self.object,
            user=self.request.user,
            reference=form.cleaned_data.get("reference", ""),
        )


class InvoiceWaiveView(_ObjectFormView):
    model = Invoice
    form_class = forms.WaiveForm
    title = "Waive the fee"
    submit_label = "Waive"
    success_message = "Fee waived."

    def act(self, form):
        fees.invoice_waive(
            invoice=self.object, user=self.request.user, reason=form.cleaned_data["reason"]
        )
