"""Screens of the packet part: the document picker and redaction marking on the
request page, the page preview, the build with its progress, the QA queue and
the packet download. Rules live in ``services.packet`` and ``services.picker``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import generic

from him import trail
from him.trail import Action, Outcome
from him.views.base import ObjectMixin, PHIListView
from records.models import Document
from release_of_info.models import Packet, Redaction, RequestDocument, ROIRequest
from release_of_info.services import packet as services
from release_of_info.services import picker


def _detail(roi: ROIRequest) -> str:
    return reverse("release_of_info:roirequest-detail", args=[roi.public_id])


# Panels --------------------------------------------------------------------------------


def documents_panel_context(*, request, roi: ROIRequest) -> dict:
    user = request.user
    items = list(
        RequestDocument.objects.visible_to(user)
        .filter(request=roi)
        .select_related("document", "version")
        .prefetch_related("redactions")
    )
    chosen = {i.document_id for i in items}
    candidates = [d for d in picker.candidates(roi, user) if d.pk not in chosen]
    return {
        "items": items,
        "candidates": candidates,
        "may_pick": user.has_perm("release_of_info.add_requestdocument")
        and roi.status in picker.EDITABLE,
    }


def packet_panel_context(*, request, roi: ROIRequest) -> dict:
    user = request.user
    packets = list(
        Packet.objects.visible_to(user).filter(request=roi).order_by("-requested_at")[:5]
    )
    current = next((p for p in packets if p.status != Packet.Status.SUPERSEDED), None)
    return {
        "packet": current,
        "older": [p for p in packets if p is not current],
        "may_build": user.has_perm("release_of_info.add_packet")
        and roi.status == ROIRequest.Status.IN_PROCESS,
        "may_check": user.has_perm(services.APPROVE_PERMISSION)
        and current is not None
        and current.status == Packet.Status.READY
        and current.requested_by_id != user.pk,
    }


# Picking documents and pages -----------------------------------------------------------


class _RequestPost(ObjectMixin, generic.View):
    model = ROIRequest
    slug_field = "public_id"
    slug_url_kwarg = "public_id"
    policy_action = "change"
    http_method_names = ["post"]


class DocumentAddView(_RequestPost):
    def post(self, request, public_id):
        roi = self.get_object()
        try:
            document = Document.objects.visible_to(request.user).get(
                public_id=request.POST.get("document", "")
            )
        except (Document.DoesNotExist, ValidationError, ValueError):
            trail.record(
                Action.READ,
                object_type="records.document",
                object_id=str(request.POST.get("document", ""))[:64],
                outcome=Outcome.NOT_FOUND,
            )
            messages.error(request, "No such document, or it is outside your access.")
            return redirect(_detail(roi))
        try:
            picker.document_choose(
                roi=roi, document=document, user=request.user, pages=request.POST.get("pages", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{document} added to the packet.")
        return redirect(_detail(roi))


class ItemStepView(ObjectMixin, generic.View):
    """POST one change to a chosen document: pages, order, leave out, take back, remove."""

    model = RequestDocument
    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, pk, step):
        item = self.get_object()
        try:
            if step == "pages":
                picker.item_set_pages(
                    item=item, pages=request.POST.get("pages", ""), user=request.user
                )
            elif step in ("up", "down"):
                picker.item_move(item=item, up=step == "up", user=request.user)
            elif step == "exclude":
                picker.item_exclude(
                    item=item, reason=request.POST.get("reason", ""), user=request.user
                )
            elif step == "include":
                picker.item_include(item=item, user=request.user)
            elif step == "remove":
                picker.item_remove(item=item, user=request.user)
            else:
                raise Http404("No such action.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(_detail(item.request))


class PagePreviewView(ObjectMixin, generic.View):
    """One page of the chosen version as PNG (for choosing pages and marking redactions)."""

    model = RequestDocument

    def get(self, request, pk, page):
        item = self.get_object()
        try:
            png = picker.page_png(item=item, page=page)
        except ValidationError as exc:
            raise Http404(" ".join(exc.messages)) from None
        trail.record(Action.READ, obj=item.document, reason=f"ROI page preview, page {page}")
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response


class RedactionForm(forms.Form):
    page = forms.IntegerField(min_value=1)
    x0 = forms.FloatField(min_value=0, max_value=1)
    y0 = forms.FloatField(min_value=0, max_value=1)
    x1 = forms.FloatField(min_value=0, max_value=1)
    y1 = forms.FloatField(min_value=0, max_value=1)
    reason = forms.CharField(max_length=200, required=False)


class RedactView(ObjectMixin, generic.View):
    """A page's preview with its redaction boxes; draw a box (JS) or type it, then save."""

    model = RequestDocument
    template_name = "release_of_info/packet/redact.html"

    def get_policy_action(self) -> str:
        return "view" if self.request.method == "GET" else "change"

    def _page(self, request, item, page, form, status=200):
        boxes = item.redactions.filter(page=page)
        trail.record(Action.READ, obj=item.document, reason=f"ROI redaction marking, page {page}")
        context = {
            "item": item,
            "roi": item.request,
            "page": page,
            "pages": range(1, (picker.page_count(item) or 1) + 1),
            "boxes": boxes,
            "form": form,
            "may_change": request.user.has_perm("release_of_info.add_redaction"),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk, page):
        item = self.get_object()
        return self._page(request, item, page, RedactionForm(initial={"page": page}))

    def post(self, request, pk, page):
        item = self.get_object()
        if not request.user.has_perm("release_of_info.add_redaction"):
            raise PermissionDenied("Your role may not mark redactions.")
        form = RedactionForm(request.POST)
        if form.is_valid():
            try:
                picker.redaction_add(item=item, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, "Area marked: it will be removed from the packet.")
                return redirect("release_of_info:item-redact", item.pk, form.cleaned_data["page"])
        return self._page(request, item, page, form, status=400)


class RedactionDeleteView(ObjectMixin, generic.View):
    model = Redaction
    policy_action = "delete"
    http_method_names = ["post"]

    def post(self, request, pk):
        box = self.get_object()
        item, page = box.item, box.page
        try:
            picker.redaction_remove(redaction=box, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("release_of_info:item-redact", item.pk, page)


# Building, checking, downloading -------------------------------------------------------


class PacketBuildView(_RequestPost):
    def post(self, request, public_id):
        roi = self.get_object()
        if not request.user.has_perm("release_of_info.add_packet"):
            raise PermissionDenied("Your role may not build packets.")
        try:
            services.packet_request_build(
                roi=roi, user=request.user, bates_prefix=request.POST.get("bates_prefix", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The packet is being built.")
        return redirect(_detail(roi))


class _PacketMixin(ObjectMixin):
    model = Packet
    slug_field = "public_id"
    slug_url_kwarg = "public_id"


class PacketStatusView(_PacketMixin, generic.View):
    """What the progress bar polls."""

    def get(self, request, public_id):
        packet = self.get_object()
        return JsonResponse(
            {
                "status": packet.status,
                "label": packet.get_status_display(),
                "progress": packet.progress,
                "error": packet.error,
                "pages": packet.page_count,
                "done": packet.status not in (Packet.Status.QUEUED, Packet.Status.BUILDING),
            }
        )


class PacketDownloadView(_PacketMixin, generic.View):
    def get(self, request, public_id):
        packet = self.get_object()
        if not request.user.has_perm("release_of_info.download_packet"):
            trail.record(
                Action.DENIED, obj=packet, outcome=Outcome.DENIED, reason="no download permission"
            )
            raise PermissionDenied("Your role may not download packets.")
        try:
            handle = services.packet_open(packet=packet, user=request.user)
        except FileNotFoundError as exc:
            raise Http404(str(exc)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{packet.request.number}-packet.pdf",
            content_type="application/pdf",
        )


class PacketCheckView(_PacketMixin, generic.View):
    policy_action = "change"
    http_method_names = ["post"]

    def post(self, request, public_id, verdict):
        packet = self.get_object()
        note = request.POST.get("note", "")
        try:
            if verdict == "approve":
                services.packet_approve(packet=packet, user=request.user, note=note)
                messages.success(request, "Approved: the packet may be released.")
            elif verdict == "reject":
                services.packet_reject(packet=packet, user=request.user, note=note)
                messages.success(request, "Rejected: the request is back in process.")
            else:
                raise Http404("No such action.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            trail.record(Action.DENIED, obj=packet, outcome=Outcome.DENIED, reason=str(exc))
            raise
        back = request.POST.get("back")
        if back == "qa":
            return redirect("release_of_info:qa-queue")
        return redirect(_detail(packet.request))


class QAQueueView(PHIListView):
    model = Packet
    template_name = "release_of_info/packet/qa_queue.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(status=Packet.Status.READY)
            .select_related("request", "request__patient", "request__requester", "requested_by")
            .order_by("request__due_on", "built_at")
        )
