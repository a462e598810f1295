"""Screens of the release part: release and delivery, the recipient's secure link,
the disclosures log, and a patient's accounting of disclosures.

Rules live in ``services.release`` and ``services.disclosures``; these views
look objects up through the policy, show the forms, and put the services'
errors next to the fields they name.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import generic

from him import trail
from him.trail import Action, Outcome
from him.views.base import ObjectMixin, PHIListView, PolicyMixin
from records.models import Patient
from release_of_info.models import (
    AccountingRequest,
    AccountingSuspension,
    Delivery,
    Disclosure,
    ROIRequest,
)
from release_of_info.models.release import (
    ACCOUNTING_YEARS,
    DEFAULT_LINK_DAYS,
    DEFAULT_LINK_DOWNLOADS,
)
from release_of_info.services import disclosures as accounting
from release_of_info.services import release as services

DATE = forms.DateInput(attrs={"type": "date"})


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Forms --------------------------------------------------------------------------------


class ReleaseForm(forms.Form):
    method = forms.ChoiceField(choices=Delivery.Method.choices, initial="secure_link")
    link_days = forms.IntegerField(
        label="Link valid for (days)", initial=DEFAULT_LINK_DAYS, min_value=1, max_value=90
    )
    max_downloads = forms.IntegerField(
        label="Downloads allowed", initial=DEFAULT_LINK_DOWNLOADS, min_value=1, max_value=20
    )
    passcode = forms.CharField(
        required=False,
        max_length=64,
        help_text="Optional. Give it to the recipient separately (phone), never with the link.",
    )
    mailed_on = forms.DateField(required=False, widget=DATE, label="Mailed on")
    carrier = forms.CharField(required=False, max_length=60)
    tracking_number = forms.CharField(required=False, max_length=60)


class NewLinkForm(forms.Form):
    link_days = ReleaseForm.base_fields["link_days"]
    max_downloads = ReleaseForm.base_fields["max_downloads"]
    passcode = ReleaseForm.base_fields["passcode"]


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=300)


class PasscodeForm(forms.Form):
    passcode = forms.CharField(required=False, max_length=64, widget=forms.PasswordInput)


class DisclosureForm(forms.Form):
    disclosed_on = forms.DateField(widget=DATE)
    recipient_name = forms.CharField(max_length=200)
    recipient_address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    basis = forms.ChoiceField(choices=Disclosure.Basis.choices)


class SuspensionForm(forms.Form):
    agency = forms.CharField(max_length=200)
    official = forms.CharField(required=False, max_length=200)
    form = forms.ChoiceField(choices=AccountingSuspension.Form.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(widget=DATE)
    ends_on = forms.DateField(widget=DATE)


class AccountingRequestForm(forms.Form):
    requester_name = forms.CharField(max_length=200)
    received_on = forms.DateField(widget=DATE)
    period_start = forms.DateField(
        required=False,
        widget=DATE,
        help_text=f"Empty: the full {ACCOUNTING_YEARS} years before the request.",
    )


class ExtendForm(forms.Form):
    notice_on = forms.DateField(widget=DATE, label="Written notice dated")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(forms.Form):
    note = forms.CharField(required=False, max_length=300)


class ProvideForm(forms.Form):
    pass


# Release and delivery -----------------------------------------------------------------


def delivery_panel_context(*, request, roi: ROIRequest) -> dict:
    """The request page's "Release and delivery" panel."""
    user = request.user
    may_release = user.has_perm(services.RELEASE_PERMISSION) and user.has_perm(
        "release_of_info.add_delivery"
    )
    now = timezone.now()
    deliveries = [
        {"delivery": d, "state": d.link_state(now)}
        for d in Delivery.objects.visible_to(user).filter(request=roi).select_related("packet")
    ]
    return {
        "roi": roi,
        "approved_packet": services.approved_packet(roi),
        "released_packet": services.released_packet(roi),
        "deliveries": deliveries,
        "may_release": may_release and roi.status == ROIRequest.Status.QUALITY_CHECK,
        "may_relink": may_release and roi.status == ROIRequest.Status.RELEASED,
        "release_form": ReleaseForm(),
        "new_link_form": NewLinkForm(),
        "revoke_form": RevokeForm(),
    }


def _link_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("release_of_info:link", args=[token]))


def _detail_url(roi: ROIRequest) -> str:
    return reverse("release_of_info:roirequest-detail", args=[roi.public_id])


class _RequestAction(ObjectMixin, generic.View):
    model = ROIRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    policy_action = "change"
    form_class: type[forms.Form] = forms.Form
    template_name = "release_of_info/release/release_form.html"
    title = ""

    def _page(self, request, roi, form, status=200):
        context = {"roi": roi, "form": form, "title": self.title, "action": request.path}
        return render(request, self.template_name, context, status=status)

    def get(self, request, public_id):
        roi = self.get_object()
        return self._page(request, roi, self.form_class())

    def post(self, request, public_id):
        roi = self.get_object()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                done = self.act(roi, form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                trail.record(Action.DENIED, obj=roi, outcome=Outcome.DENIED, reason=str(exc))
                raise
            else:
                return self.success(request, roi, done)
        return self._page(request, roi, form, status=400)

    def success(self, request, roi, released: services.Released):
        if released.token:
            return render(
                request,
                "release_of_info/release/link_created.html",
                {
                    "roi": roi,
                    "delivery": released.delivery,
                    "url": _link_url(request, released.token),
                },
            )
        messages.success(request, "Released: the mailing is recorded.")
        return redirect(_detail_url(roi))


class ReleaseView(_RequestAction):
    form_class = ReleaseForm
    title = "Release the approved packet"

    def act(self, roi, data):
        return services.roi_release(roi=roi, user=self.request.user, **data)


class NewLinkView(_RequestAction):
    form_class = NewLinkForm
    title = "Send a new secure link"

    def act(self, roi, data):
        return services.delivery_new_link(roi=roi, user=self.request.user, **data)


class DeliveryRevokeView(ObjectMixin, generic.View):
    model = Delivery
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, public_id):
        delivery = self.get_object()
        form = RevokeForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError("Say why the link is revoked.")
            services.delivery_revoke(
                delivery=delivery, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The link no longer works.")
        return redirect(_detail_url(delivery.request))


_MESSAGES_BY_STATE = services.LINK_MESSAGES


class LinkView(generic.View):
    """The recipient's page: no account; the token (and the passcode) are the credential."""

    template_name = "release_of_info/release/link.html"

    def _delivery(self, token: str) -> Delivery:
        delivery = services.link_find(token)
        if delivery is None:
            trail.record(
                Action.DISCLOSE,
                object_type="release_of_info.delivery",
                outcome=Outcome.NOT_FOUND,
                reason="unknown secure link",
                username=services.RECIPIENT,
            )
            raise Http404("This link is not valid.")
        return delivery

    def _page(self, request, delivery, form, error="", status=200):
        state = delivery.link_state(timezone.now())
        context = {
            "delivery": delivery,
            "facility": delivery.request.facility.name,
            "form": form,
            "error": error or _MESSAGES_BY_STATE.get(state, ""),
            "open": not state,
        }
        response = render(request, self.template_name, context, status=status)
        # The token is in the URL: never send it to another site (same-origin keeps
        # the Origin header the CSRF check needs on the download form).
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request, token):
        delivery = self._delivery(token)
        return self._page(request, delivery, PasscodeForm())

    def post(self, request, token):
        delivery = self._delivery(token)
        form = PasscodeForm(request.POST)
        passcode = form.data.get("passcode", "")
        try:
            handle = services.link_download(delivery=delivery, passcode=passcode)
        except services.LinkRefused as exc:
            delivery.refresh_from_db()
            return self._page(request, delivery, PasscodeForm(), error=str(exc), status=403)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{delivery.request.number}-records.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "no-store"
        return response


# Disclosures ---------------------------------------------------------------------------


class DisclosureFilterSet(django_filters.FilterSet):
    patient = django_filters.CharFilter(
        method="for_patient", label="Patient (enterprise id or MRN)"
    )
    recipient = django_filters.CharFilter(field_name="recipient_name", lookup_expr="icontains")
    basis = django_filters.ChoiceFilter(choices=Disclosure.Basis.choices)
    source = django_filters.ChoiceFilter(choices=Disclosure.Source.choices)
    date_from = django_filters.DateFilter(
        field_name="disclosed_on", lookup_expr="gte", widget=DATE, label="From"
    )
    date_to = django_filters.DateFilter(
        field_name="disclosed_on", lookup_expr="lte", widget=DATE, label="To"
    )

    class Meta:
        model = Disclosure
        fields = ["patient", "recipient", "basis", "source", "date_from", "date_to"]

    def for_patient(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(patient__enterprise_id__iexact=value) | Q(patient__mrn__iexact=value)
        )


class DisclosureListView(PHIListView):
    model = Disclosure
    filterset_class = DisclosureFilterSet
    template_name = "release_of_info/release/disclosure_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "request")


def _patient_or_404(user, enterprise_id: str) -> Patient:
    found = Patient.objects.visible_to(user).filter(enterprise_id=enterprise_id).first()
    if found is None:
        trail.record(
            Action.READ,
            object_type="records.patient",
            object_id=str(enterprise_id)[:64],
            outcome=Outcome.NOT_FOUND,
        )
        raise Http404("No such patient, or the patient is outside your access.")
    return found


def patient_disclosures_context(request, patient: Patient, bound: dict | None = None) -> dict:
    user = request.user
    bound = bound or {}
    today = timezone.localdate()
    start = accounting.years_before(today, ACCOUNTING_YEARS)
    shown, withheld = accounting.entries_for(patient, start=start, end=today, as_of=today)
    visible = set(
        Disclosure.objects.visible_to(user).filter(patient=patient).values_list("pk", flat=True)
    )
    requests = list(AccountingRequest.objects.visible_to(user).filter(patient=patient))
    steps = {}
    if user.has_perm("release_of_info.change_accountingrequest"):
        for ar in requests:
            if ar.is_open:
                steps[ar.pk] = {
                    "extend": bound.get(("extend", ar.pk)) or ExtendForm(prefix=f"extend-{ar.pk}"),
                    "withdraw": bound.get(("withdraw", ar.pk))
                    or WithdrawForm(prefix=f"withdraw-{ar.pk}"),
                }
    return {
        "patient": patient,
        "today": today,
        "period_start": start,
        "disclosures": [d for d in shown if d.pk in visible],
        "withheld": withheld,
        "suspensions": AccountingSuspension.objects.visible_to(user).filter(patient=patient),
        "accounting_requests": [{"obj": ar, "steps": steps.get(ar.pk)} for ar in requests],
        "disclosure_form": bound.get("disclosure") or DisclosureForm(prefix="disclosure"),
        "suspension_form": bound.get("suspension") or SuspensionForm(prefix="suspension"),
        "accounting_form": bound.get("accounting") or AccountingRequestForm(prefix="accounting"),
    }


class PatientDisclosuresView(PolicyMixin, generic.View):
    model = Disclosure
    template_name = "release_of_info/release/patient_disclosures.html"

    def get(self, request, enterprise_id):
        patient = _patient_or_404(request.user, enterprise_id)
        context = patient_disclosures_context(request, patient)
        trail.record(
            Action.READ,
            obj=patient,
            reason="accounting of disclosures viewed",
            detail={"shown": [str(d.public_id) for d in context["disclosures"]]},
        )
        return render(request, self.template_name, context)


class PatientDisclosuresOpenView(PolicyMixin, generic.View):
    """From the log's "open a patient" box to that patient's page."""

    model = Disclosure

    def get(self, request):
        text = request.GET.get("patient", "").strip()
        found = (
            list(
                Patient.objects.visible_to(request.user).filter(
                    Q(enterprise_id__iexact=text) | Q(mrn__iexact=text)
                )[:2]
            )
            if text
            else []
        )
        if len(found) != 1:
            messages.error(
                request,
                "No patient you can reach has this enterprise id or MRN."
                if not found
                else "Several patients have this MRN; use the enterprise id.",
            )
            return redirect("release_of_info:disclosure-list")
        return redirect("release_of_info:patient-disclosures", found[0].enterprise_id)


class _PatientAdd(PolicyMixin, generic.View):
    """POST one of the patient page's forms; errors re-show the page with the input."""

    policy_action = "add"
    http_method_names = ["post"]
    key = ""
    form_class: type[forms.Form] = forms.Form
    done = "Saved."

    def post(self, request, enterprise_id):
        patient = _patient_or_404(request.user, enterprise_id)
        form = self.form_class(request.POST, prefix=self.key)
        if form.is_valid():
            try:
                self.act(patient, form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, self.done)
                return redirect("release_of_info:patient-disclosures", patient.enterprise_id)
        context = patient_disclosures_context(request, patient, bound={self.key: form})
        return render(
            request, "release_of_info/release/patient_disclosures.html", context, status=400
        )


class DisclosureAddView(_PatientAdd):
    model = Disclosure
    key = "disclosure"
    form_class = DisclosureForm
    done = "Disclosure recorded in the accounting."

    def act(self, patient, data):
        accounting.disclosure_record(patient=patient, user=self.request.user, **data)


class SuspensionAddView(_PatientAdd):
    model = AccountingSuspension
    key = "suspension"
    form_class = SuspensionForm
    done = (
        "Suspension recorded: that agency's disclosures are left out of accountings until it ends."
    )

    def act(self, patient, data):
        accounting.suspension_record(patient=patient, user=self.request.user, **data)


class AccountingRequestAddView(_PatientAdd):
    model = AccountingRequest
    key = "accounting"
    form_class = AccountingRequestForm
    done = "Accounting request received; due in 60 days."

    def act(self, patient, data):
        obj = accounting.accounting_request_receive(patient=patient, user=self.request.user, **data)
        if obj.fee:
            messages.warning(self.request, f"Fee ${obj.fee}: {obj.fee_note}")


ACCOUNTING_STEPS = {
    "extend": (ExtendForm, accounting.accounting_request_extend, "Extended by 30 days."),
    "withdraw": (WithdrawForm, accounting.accounting_request_withdraw, "Request withdrawn."),
    "provide": (ProvideForm, accounting.accounting_provide, "Accounting produced."),
}


class AccountingStepView(ObjectMixin, generic.View):
    model = AccountingRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, public_id, step):
        if step not in ACCOUNTING_STEPS:
            raise Http404("No such action.")
        form_class, service, done = ACCOUNTING_STEPS[step]
        obj = self.get_object()
        form = form_class(request.POST, prefix=f"{step}-{obj.pk}")
        if form.is_valid():
            try:
                service(request=obj, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("release_of_info:patient-disclosures", obj.patient.enterprise_id)
        if step == "provide":
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("release_of_info:patient-disclosures", obj.patient.enterprise_id)
        context = patient_disclosures_context(request, obj.patient, bound={(step, obj.pk): form})
        return render(
            request, "release_of_info/release/patient_disclosures.html", context, status=400
        )


class AccountingFileView(ObjectMixin, generic.View):
    model = AccountingRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get(self, request, public_id, kind):
        obj = self.get_object()
        try:
            if kind == "accounting":
                handle = accounting.accounting_open(request=obj, user=request.user)
                return FileResponse(
                    handle,
                    as_attachment=True,
                    filename=f"accounting-of-disclosures-{obj.provided_on:%Y%m%d}.pdf",
                    content_type="application/pdf",
                )
            if kind == "extension-notice":
                pdf = accounting.extension_notice_pdf(request=obj, user=request.user)
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = (
                    'attachment; filename="accounting-extension-notice.pdf"'
                )
                return response
        except FileNotFoundError as exc:
            raise Http404(str(exc)) from None
        raise Http404("No such document.")
