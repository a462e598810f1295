"""Scanning intake screens: upload (many files), the queue of unindexed scans,
and indexing a scan to a patient (or rejecting it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView

from him import policy, trail
from him.trail import Action
from him.views.base import ObjectMixin, OutOfReach, PHIListView, PolicyMixin
from records.filters_documents import ScanUploadFilterSet
from records.forms_documents import ReasonForm, ScanIndexForm, ScanUploadForm
from records.models import ScanUpload
from records.services import scanning as services
from records.views.documents import add_errors, refuse_out_of_reach, version_response


class ScanQueueView(PHIListView):
    model = ScanUpload
    filterset_class = ScanUploadFilterSet
    template_name = "records/scanning/scan_queue.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("facility", "uploaded_by")
        if not self.request.GET.get("status"):
            queryset = queryset.filter(status=ScanUpload.Status.UNINDEXED)
        return queryset


class ScanUploadView(PolicyMixin, FormView):
    model = ScanUpload
    policy_action = "add"
    form_class = ScanUploadForm
    template_name = "records/scanning/scan_upload.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        facility = form.cleaned_data["facility"]
        try:
            with transaction.atomic():
                uploads = [
                    services.scan_upload_create(facility=facility, user=self.request.user, file=f)
                    for f in form.cleaned_data["files"]
                ]
                for upload in uploads:
                    if not policy.can(self.request.user, "view", upload):
                        raise OutOfReach
                    trail.record(Action.CREATE, obj=upload)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            refuse_out_of_reach(form, "records.scanupload")
            return self.form_invalid(form)
        for upload in uploads:
            warning = services.duplicate_warning(upload)
            if warning:
                messages.warning(self.request, warning)
        messages.success(self.request, f"{len(uploads)} file(s) added to the scanning queue.")
        return redirect(reverse("records:scan-queue") + f"?facility={facility.code}")


class _ScanObjectMixin(ObjectMixin):
    model = ScanUpload
    slug_field = "public_id"
    slug_url_kwarg = "public_id"


class ScanContentView(_ScanObjectMixin, View):
    """The scanned file itself, for the indexing screen; a READ in the trail."""

    policy_action = "view"

    def get(self, request, public_id):
        upload = self.get_object()
        page = request.GET.get("page")
        response = version_response(
            upload, upload, download=False, page=int(page) if page and page.isdigit() else None
        )
        trail.record(Action.READ, obj=upload, detail={"content": upload.content_type})
        return response


class ScanIndexView(_ScanObjectMixin, FormView):
    """Index a scan to a patient (files a document), or reject it with a reason."""

    policy_action = "change"
    form_class = ScanIndexForm
    template_name = "records/scanning/scan_index.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.request.method == "POST" and "reject" in self.request.POST:
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def get(self, request, *args, **kwargs):
        self.upload = self.get_object()
        trail.record(Action.READ, obj=self.upload)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.upload = self.get_object()
        if "reject" in request.POST:
            reject_form = ReasonForm(request.POST)
            if reject_form.is_valid():
                try:
                    services.scan_upload_reject(
                        upload=self.upload,
                        user=request.user,
                        reason=reject_form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    add_errors(reject_form, exc)
                else:
                    messages.success(request, "Scan rejected.")
                    return redirect("records:scan-queue")
            return self.render_to_response(
                self.get_context_data(form=self.get_form(), reject_form=reject_form)
            )
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.setdefault("reject_form", ReasonForm())
        data["object"] = self.upload
        data["duplicate_warning"] = services.duplicate_warning(self.upload)
        data["content_url"] = reverse("records:scan-content", args=[self.upload.public_id])
        data["pages"] = range(1, self.upload.page_count + 1)
        return data

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                document = services.scan_upload_index(
                    upload=self.upload,
                    user=self.request.user,
                    patient=data["patient"],
                    encounter=data.get("encounter"),
                    doc_type=data["doc_type"],
                    service_date=data["service_date"],
                    title=data.get("title", ""),
                    author=data.get("author"),
                )
                if not policy.can(self.request.user, "view", document):
                    raise OutOfReach
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            refuse_out_of_reach(form, "records.document")
            return self.form_invalid(form)
        messages.success(self.request, "Scan indexed and filed to the patient's record.")
        return redirect("records:document-detail", public_id=document.public_id)
