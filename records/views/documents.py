"""Document screens: list, viewer, content, filing, versions, entered in error,
signing, the signature queue and transcription. Thin: the rules are in
records.services.documents and records.services.transcription."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView

from him import policy, trail
from him.trail import Action, Outcome
from him.views.base import (
    ObjectMixin,
    OutOfReach,
    PHICreateView,
    PHIDetailView,
    PHIListView,
    PolicyMixin,
    WriteMixin,
)
from records.files import INLINE_TYPES
from records.filters_documents import DocumentFilterSet
from records.forms_documents import (
    DocumentEditForm,
    DocumentForm,
    ReasonForm,
    TranscriptionForm,
    VersionForm,
)
from records.models import Document, DocumentVersion, Patient
from records.services import documents as services
from records.services.transcription import transcription_create, transcription_template_for

Status = Document.Status


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


OUT_OF_REACH = "Not saved: the result would be outside the facilities you can reach."


def refuse_out_of_reach(form, label: str):
    """After a rolled-back write that would have left the user's reach: trail it, say it."""
    trail.record(
        Action.DENIED,
        object_type=label,
        outcome=Outcome.DENIED,
        reason="write would leave the object outside the user's reach; rolled back",
    )
    form.add_error(None, OUT_OF_REACH)


class DocumentObjectMixin(ObjectMixin):
    model = Document
    slug_field = "public_id"
    slug_url_kwarg = "public_id"

    def get_object(self, queryset=None):
        queryset = queryset if queryset is not None else self.get_queryset()
        return super().get_object(
            queryset.select_related("patient", "encounter", "author", "current_version")
        )


# Lists -----------------------------------------------------------------------------------


class DocumentListView(PHIListView):
    model = Document
    filterset_class = DocumentFilterSet
    template_name = "records/documents/document_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "author", "facility")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data["query"] = query.urlencode()
        return data


class SignatureQueueView(PHIListView):
    """The physician's documents awaiting their signature."""

    model = Document
    template_name = "records/documents/signature_queue.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("records.sign_document"):
            raise PermissionDenied("Your role does not sign documents.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(status=Status.PENDING_SIGNATURE, author__user=self.request.user)
            .select_related("patient", "encounter")
            .order_by("service_date", "created_at")
        )


# Viewer ------------------------------------------------------------------------------------


class DocumentDetailView(DocumentObjectMixin, PHIDetailView):
    template_name = "records/documents/document_detail.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        document = self.object
        versions = list(document.versions.select_related("created_by", "signed_by"))
        shown = document.current_version
        wanted = self.request.GET.get("version")
        if wanted:
            shown = next((v for v in versions if str(v.number) == wanted), shown)
        user = self.request.user
        provider = getattr(user, "provider", None) if hasattr(user, "provider") else None
        data.update(
            versions=versions,
            shown=shown,
            status_changes=document.status_changes.select_related("changed_by"),
            editable=document.status not in services.LOCKED_STATUSES
            and not (shown and shown.signed_at),
            can_change=user.has_perm("records.change_document"),
            can_sign=(
                user.has_perm("records.sign_document")
                and provider is not None
                and document.author_id == provider.pk
                and document.status in (Status.DRAFT, Status.PENDING_SIGNATURE)
            ),
            shown_pages=range(1, min((shown.page_count or 1) if shown else 1, 50) + 1),
            content_url=reverse("records:document-content", args=[document.public_id]),
            download_url=reverse("records:document-download", args=[document.public_id]),
        )
        return data


class DocumentHistoryView(DocumentObjectMixin, PHIDetailView):
    template_name = "records/documents/document_history.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["versions"] = self.object.versions.select_related("created_by", "signed_by")
        data["status_changes"] = self.object.status_changes.select_related("changed_by")
        return data


def version_response(document: Document, version: DocumentVersion, *, download: bool, page=None):
    """The bytes of one version: inline (a READ) or as an attachment (an EXPORT)."""
    if version.file:
        try:
            handle = version.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404("The stored file is missing; tell the HIM department.") from None
        content_type = version.content_type or "application/octet-stream"
        if page is not None and content_type == "image/tiff" and not download:
            # Browsers do not show TIFF: one page as PNG for the viewer.
            response = HttpResponse(_tiff_page_png(handle, page), content_type="image/png")
        else:
            response = FileResponse(
                handle,
                as_attachment=download or content_type not in INLINE_TYPES,
                filename=version.file_name or f"document.{content_type.rsplit('/', 1)[-1]}",
                content_type=content_type,
            )
    else:
        response = HttpResponse(version.text, content_type="text/plain; charset=utf-8")
        disposition = "attachment" if download else "inline"
        response["Content-Disposition"] = (
            f'{disposition}; filename="document-v{version.number}.txt"'
        )
    response["X-Content-Type-Options"] = "nosniff"
    if not download:
        # Shown inside the viewer page: framing by our own pages only, and nothing it may run.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
            "object-src 'self'; frame-ancestors 'self'"
        )
    return response


def _tiff_page_png(handle, page: int) -> bytes:
    from PIL import Image

    with handle, Image.open(handle) as image:
        image.seek(max(0, min(page, getattr(image, "n_frames", 1)) - 1))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
    return out.getvalue()


class DocumentContentView(DocumentObjectMixin, View):
    """The document's content through the policy; every read or download is in the trail."""

    policy_action = "view"
    download = False

    def get(self, request, public_id):
        document = self.get_object()
        version = document.current_version
        number = request.GET.get("version")
        if number:
            version = document.versions.filter(number=number if number.isdigit() else 0).first()
        if version is None:
            raise Http404("No such version.")
        page = request.GET.get("page")
        page = int(page) if page and page.isdigit() else None
        response = version_response(document, version, download=self.download, page=page)
        trail.record(
            Action.EXPORT if self.download else Action.READ,
            obj=document,
            detail={"version": version.number, "content": version.content_type or "text"},
        )
        return response


class DocumentDownloadView(DocumentContentView):
    download = True


# Writes --------------------------------------------------------------------------------------


class DocumentCreateView(PHICreateView):
    model = Document
    form_class = DocumentForm
    template_name = "records/documents/document_form.html"
    success_message = "Document filed."

    def get_form_class(self):
        return self.form_class

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs.setdefault("initial", {})
        for name in ("patient", "doc_type"):
            if self.request.GET.get(name):
                kwargs["initial"][name] = self.request.GET[name]
        return kwargs

    def save(self, form):
        data = form.cleaned_data
        return services.document_create(
            patient=data["patient"],
            encounter=data.get("encounter"),
            doc_type=data["doc_type"],
            service_date=data["service_date"],
            author=data.get("author"),
            title=data.get("title", ""),
            text=data.get("text", ""),
            file=data.get("file") or None,
            user=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("records:document-detail", args=[self.object.public_id])


class _DocumentFormView(DocumentObjectMixin, FormView):
    """A form about one document: looked up through the policy for ``policy_action``."""

    policy_action = "change"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["object"] = self.document
        return data

    def get(self, request, *args, **kwargs):
        self.document = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.document = self.get_object()
        return super().post(request, *args, **kwargs)

    def detail_url(self):
        return reverse("records:document-detail", args=[self.document.public_id])


class DocumentEditView(WriteMixin, _DocumentFormView):
    """Edit an unsigned document (a draft or a transcription awaiting signature).

    WriteMixin saves in a transaction, re-checks reach and writes the update row.
    """

    form_class = DocumentEditForm
    template_name = "records/documents/document_edit.html"

    def get(self, request, *args, **kwargs):
        self.document = self.get_object()
        if self.document.status in services.LOCKED_STATUSES:
            messages.error(request, services.SIGNED_NOT_EDITABLE)
            return redirect(self.detail_url())
        return super(_DocumentFormView, self).get(request, *args, **kwargs)

    def get_initial(self):
        doc = self.document
        version = doc.current_version
        return {
            "doc_type": doc.doc_type,
            "title": doc.title,
            "service_date": doc.service_date,
            "author": doc.author_id,
            "text": version.text if version else "",
        }

    def save(self, form):
        data = form.cleaned_data
        document = services.document_update(
            document=self.document,
            user=self.request.user,
            text=data["text"],
            doc_type=data["doc_type"],
            title=data["title"],
            service_date=data["service_date"],
            author=data["author"],
        )
        if "route" in self.request.POST:
            self.success_message = "Routed to the author for signature."
            document = services.document_route_for_signature(
                document=document, user=self.request.user
            )
        return document

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)

    def get_success_url(self):
        return self.detail_url()


class DocumentAddVersionView(_DocumentFormView):
    form_class = VersionForm
    template_name = "records/documents/version_form.html"

    def get_initial(self):
        version = self.document.current_version
        return {"text": version.text if version else ""}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            version = services.document_add_version(
                document=self.document,
                kind=data["kind"],
                reason=data["reason"],
                text=data.get("text", ""),
                file=data.get("file") or None,
                user=self.request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Version {version.number} added; earlier ones are kept.")
        return redirect(self.detail_url())


class DocumentEnteredInErrorView(_DocumentFormView):
    form_class = ReasonForm
    template_name = "records/documents/entered_in_error.html"

    def form_valid(self, form):
        try:
            services.document_mark_entered_in_error(
                document=self.document, user=self.request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Marked entered in error; it stays readable here.")
        return redirect(self.detail_url())


class DocumentSignView(DocumentObjectMixin, View):
    """The author signs (from the queue or the document page)."""

    policy_action = "view"

    def post(self, request, public_id):
        document = self.get_object()
        try:
            services.document_sign_as_user(document=document, user=request.user)
        except services.SignatureRefused as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("records:document-detail", public_id=document.public_id)
        messages.success(request, "Signed.")
        if request.POST.get("next") == "queue":
            return redirect("records:signature-queue")
        return redirect("records:document-detail", public_id=document.public_id)


class DocumentRouteView(DocumentObjectMixin, View):
    policy_action = "change"

    def post(self, request, public_id):
        document = self.get_object()
        try:
            services.document_route_for_signature(document=document, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Routed to the author for signature.")
        return redirect("records:document-detail", public_id=document.public_id)


# Transcription ------------------------------------------------------------------------------


class TranscriptionPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("records.transcribe"):
            trail.record(
                Action.DENIED,
                object_type="records.document",
                outcome=Outcome.DENIED,
                reason="role lacks records.transcribe",
            )
            raise PermissionDenied("Your role does not transcribe reports.")
        return super().dispatch(request, *args, **kwargs)


class TranscriptionListView(TranscriptionPermissionMixin, PHIListView):
    """Drafts being typed and reports awaiting their author's signature."""

    model = Document
    template_name = "records/documents/transcription_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(status__in=[Status.DRAFT, Status.PENDING_SIGNATURE], author__isnull=False)
            .select_related("patient", "author")
            .order_by("status", "-created_at")
        )


class TranscriptionCreateView(TranscriptionPermissionMixin, PolicyMixin, FormView):
    model = Document
    policy_action = "add"
    form_class = TranscriptionForm
    template_name = "records/documents/transcription_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        initial = {
            k: self.request.GET[k] for k in ("patient", "doc_type") if self.request.GET.get(k)
        }
        doc_type = initial.get("doc_type")
        template = transcription_template_for(doc_type) if doc_type else None
        if template:
            initial["text"] = template.body
            initial["title"] = template.title
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        route = "route" in self.request.POST
        try:
            with transaction.atomic():
                document = transcription_create(
                    patient=data["patient"],
                    encounter=data.get("encounter"),
                    doc_type=data["doc_type"],
                    author=data["author"],
                    service_date=data["service_date"],
                    title=data.get("title", ""),
                    text=data.get("text", ""),
                    user=self.request.user,
                    route=route,
                )
                if not policy.can(self.request.user, "view", document):
                    raise OutOfReach
                trail.record(Action.CREATE, obj=document, reason="transcription")
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        except OutOfReach:
            refuse_out_of_reach(form, "records.document")
            return self.form_invalid(form)
        messages.success(
            self.request,
            "Routed to the author's signature queue." if route else "Draft saved.",
        )
        return redirect("records:document-detail", public_id=document.public_id)


def patient_documents(user, patient: Patient, limit: int = 25):
    """The chart's documents section: visible, not entered in error, newest first."""
    return (
        Document.objects.visible_to(user, "view")
        .filter(patient=patient)
        .exclude(status=Status.ENTERED_IN_ERROR)
        .select_related("author", "current_version")[:limit]
    )
