"""API of the packet part: the documents chosen for a request (pages, order, left
out), the areas marked for redaction, and the packets (build, progress, quality
check, download). Rules live in ``services.picker`` and ``services.packet``."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from him import policy, trail
from him.api.reports import DownloadRenderer
from him.api.viewsets import OutOfReachError, PHIListCreateRetrieveViewSet, PHIReadOnlyViewSet
from records.models import Document
from release_of_info.models import Packet, Redaction, RequestDocument, ROIRequest
from release_of_info.services import packet as packet_services
from release_of_info.services import picker

DOWNLOAD_PERMISSION = "release_of_info.download_packet"
OUT_OF_REACH = "No such record, or it is outside your access."


# Related objects by their key, among those the caller may see ---------------------------


class _Visible:
    """A related object by its key, among those the caller may see.

    A key that names nothing the caller may see is refused like one that names
    nothing at all, and the miss is written to the trail.
    """

    default_error_messages = {
        "does_not_exist": OUT_OF_REACH,
        "invalid": OUT_OF_REACH,
    }

    def get_queryset(self):
        request = self.context.get("request")
        model = self.queryset.model  # the class attribute names the model (and the schema)
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)

    def to_internal_value(self, data):
        try:
            try:
                return super().to_internal_value(data)
            except DjangoValidationError:  # a malformed key ("not-a-uuid")
                self.fail("does_not_exist")
        except serializers.ValidationError:
            meta = self.queryset.model._meta
            trail.record(
                trail.Action.READ,
                object_type=f"{meta.app_label}.{meta.model_name}",
                object_id=str(data)[:64],
                outcome=trail.Outcome.NOT_FOUND,
            )
            raise


class _VisibleField(_Visible, serializers.SlugRelatedField):
    pass


class VisibleRequestField(_VisibleField):
    queryset = ROIRequest.objects.none()


class VisibleDocumentField(_VisibleField):
    queryset = Document.objects.none()


class VisibleItemField(_Visible, serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": OUT_OF_REACH,
        "incorrect_type": OUT_OF_REACH,
    }
    queryset = RequestDocument.objects.none()


def _out_of_reach(label: str) -> None:
    # Written after the rollback, so the denial itself is kept.
    trail.record(
        trail.Action.DENIED,
        object_type=label,
        outcome=trail.Outcome.DENIED,
        reason="write would leave the object outside the user's reach; rolled back",
    )


# Documents chosen for a request -------------------------------------------------------


class RequestDocumentSerializer(serializers.ModelSerializer):
    request = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True)
    document = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    document_title = serializers.CharField(source="document.title", read_only=True)
    doc_type = serializers.CharField(source="document.doc_type", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    pages = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="1-based pages to send; empty: every page.",
    )

    class Meta:
        model = RequestDocument
        fields = [
            "id",
            "request",
            "request_number",
            "document",
            "document_title",
            "doc_type",
            "version",
            "pages",
            "included",
            "excluded_reason",
            "position",
            "added_at",
        ]
        read_only_fields = fields


class RequestDocumentChooseSerializer(serializers.Serializer):
    request = VisibleRequestField(slug_field="public_id", help_text="ROI request public id")
    document = VisibleDocumentField(slug_field="public_id", help_text="Document public id")
    pages = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text='Pages to send, like "1-3,5"; empty: every page.',
    )


class PagesSerializer(serializers.Serializer):
    pages = serializers.CharField(
        allow_blank=True, help_text='Pages to send, like "1-3,5"; empty: every page.'
    )


class MoveSerializer(serializers.Serializer):
    up = serializers.BooleanField(help_text="True: one place earlier; false: one place later.")


class ExcludeSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, error_messages={"blank": "Say why the document is left out."}
    )


class RequestDocumentFilterSet(django_filters.FilterSet):
    request = django_filters.UUIDFilter(field_name="request__public_id", label="Request public id")

    class Meta:
        model = RequestDocument
        fields = ["request", "included"]


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["public_id", "doc_type", "title", "service_date", "status"]
        read_only_fields = fields


class CandidatesQuerySerializer(serializers.Serializer):
    request = VisibleRequestField(slug_field="public_id")


class PreviewQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)


ITEM_STEPS = ("pages", "move", "exclude", "include")


class RequestDocumentViewSet(PHIListCreateRetrieveViewSet, mixins.DestroyModelMixin):
    """The documents chosen for a request, in packet order. DELETE takes one out of the
    list altogether; ``exclude`` keeps it, left out with the reason."""

    queryset = RequestDocument.objects.all()
    serializer_class = RequestDocumentSerializer
    filterset_class = RequestDocumentFilterSet
    ordering_fields = ["position", "added_at"]
    policy_actions = {**dict.fromkeys(ITEM_STEPS, "change"), "candidates": "add", "preview": "view"}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("request", "document", "version")
            .order_by("request", "position", "pk")
        )

    def _out(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return RequestDocumentSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        request=RequestDocumentChooseSerializer, responses={201: RequestDocumentSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Choose a document of the patient's chart (its current version) for the request."""
        incoming = RequestDocumentChooseSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            with transaction.atomic():
                item = picker.document_choose(
                    roi=data["request"], document=data["document"], pages=data["pages"],
                    user=request.user,
                )  # fmt: skip
                if not policy.can(request.user, "view", item):
                    raise OutOfReachError()
        except OutOfReachError:
            _out_of_reach(self._label())
            raise
        return Response(self._out(item), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        picker.item_remove(item=instance, user=self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Take the document out of the request's list (the trail keeps that it was there)."""
        return super().destroy(request, *args, **kwargs)

    def _step(self, request, serializer_class, service):
        item = self.get_object()
        data = {}
        if serializer_class is not None:
            incoming = serializer_class(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = dict(incoming.validated_data)
        service(item=item, user=request.user, **data)
        return Response(self._out(item))

    @extend_schema(request=PagesSerializer, responses=RequestDocumentSerializer)
    @action(detail=True, methods=["post"])
    def pages(self, request, pk=None):
        """Choose the pages to send ("1-3,5"); empty sends every page."""
        return self._step(request, PagesSerializer, picker.item_set_pages)

    @extend_schema(request=MoveSerializer, responses=RequestDocumentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the document one place up or down in the packet."""
        return self._step(request, MoveSerializer, picker.item_move)

    @extend_schema(request=ExcludeSerializer, responses=RequestDocumentSerializer)
    @action(detail=True, methods=["post"])
    def exclude(self, request, pk=None):
        """Leave the document out of the packet, saying why (quality check reads it)."""
        return self._step(request, ExcludeSerializer, picker.item_exclude)

    @extend_schema(request=None, responses=RequestDocumentSerializer)
    @action(detail=True, methods=["post"])
    def include(self, request, pk=None):
        """Take a left-out document back into the packet."""
        return self._step(request, None, picker.item_include)

    @extend_schema(
        parameters=[OpenApiParameter("request", OpenApiTypes.UUID, required=True)],
        responses=CandidateSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def candidates(self, request):
        """The patient's documents you may see that match what the request asks (types,
        dates, encounters) and are not chosen yet."""
        incoming = CandidatesQuerySerializer(
            data=request.query_params, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        roi = incoming.validated_data["request"]
        chosen = RequestDocument.objects.filter(request=roi).values_list("document_id", flat=True)
        documents = list(picker.candidates(roi, request.user).exclude(pk__in=chosen))
        trail.record(
            trail.Action.READ,
            object_type="records.document",
            patient_id=roi.patient_id,
            facility_id=roi.facility_id,
            reason=f"ROI candidates for {roi.number}",
            detail={"shown": [str(d.public_id) for d in documents]},
        )
        return Response(CandidateSerializer(documents, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("page", int, default=1)],
        responses={(200, "image/png"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def preview(self, request, pk=None):
        """One page of the chosen version as a PNG (to choose pages and mark redactions)."""
        item = self.get_object()
        incoming = PreviewQuerySerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        page = incoming.validated_data["page"]
        png = picker.page_png(item=item, page=page)
        trail.record(trail.Action.READ, obj=item.document, reason=f"ROI page preview, page {page}")
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response


# Redactions ------------------------------------------------------------------------------


class RedactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Redaction
        fields = ["id", "item", "page", "x0", "y0", "x1", "y1", "reason", "created_at"]
        read_only_fields = fields


class RedactionCreateSerializer(serializers.Serializer):
    item = VisibleItemField(help_text="Id of the chosen document (request-documents)")
    page = serializers.IntegerField(min_value=1, help_text="1-based page of the document")
    x0 = serializers.FloatField(min_value=0, max_value=1, help_text="Left, fraction of the width")
    y0 = serializers.FloatField(min_value=0, max_value=1, help_text="Top, fraction of the height")
    x1 = serializers.FloatField(min_value=0, max_value=1, help_text="Right")
    y1 = serializers.FloatField(min_value=0, max_value=1, help_text="Bottom")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RedactionFilterSet(django_filters.FilterSet):
    item = django_filters.NumberFilter(field_name="item_id", label="Chosen document id")

    class Meta:
        model = Redaction
        fields = ["item", "page"]


class RedactionViewSet(PHIListCreateRetrieveViewSet, mixins.DestroyModelMixin):
    """Areas to remove from the packet (coordinates are fractions of the page, origin top
    left). The page is rendered as a picture with the areas blacked out: true redaction."""

    queryset = Redaction.objects.all()
    serializer_class = RedactionSerializer
    filterset_class = RedactionFilterSet
    ordering_fields = ["page", "created_at"]

    def get_queryset(self):
        return super().get_queryset().order_by("item", "page", "pk")

    @extend_schema(request=RedactionCreateSerializer, responses={201: RedactionSerializer})
    def create(self, request, *args, **kwargs):
        """Mark an area of one page for redaction."""
        incoming = RedactionCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                box = picker.redaction_add(user=request.user, **incoming.validated_data)
                if not policy.can(request.user, "view", box):
                    raise OutOfReachError()
        except OutOfReachError:
            _out_of_reach(self._label())
            raise
        data = RedactionSerializer(box, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        picker.redaction_remove(redaction=instance, user=self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Remove the mark: the area is released as it is."""
        return super().destroy(request, *args, **kwargs)


# Packets ---------------------------------------------------------------------------------


class PacketSerializer(serializers.ModelSerializer):
    request = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    done = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    checked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Packet
        fields = [
            "public_id",
            "request",
            "request_number",
            "status",
            "status_display",
            "done",
            "progress",
            "error",
            "page_count",
            "sha256",
            "includes_part2",
            "bates_prefix",
            "bates_start",
            "requested_by",
            "requested_at",
            "built_at",
            "checked_by",
            "checked_at",
            "check_note",
            "released_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_done(self, obj) -> bool:
        """False while the packet is queued or building: poll ``status_url`` until true."""
        return obj.status not in (Packet.Status.QUEUED, Packet.Status.BUILDING)

    def _url(self, name: str, obj) -> str:
        url = reverse(f"release_of_info-api:{name}", args=[obj.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_status_url(self, obj) -> str:
        return self._url("packet-detail", obj)

    def get_download_url(self, obj) -> str | None:
        if obj.status not in (Packet.Status.READY, Packet.Status.APPROVED, Packet.Status.RELEASED):
            return None
        return self._url("packet-download", obj)


class PacketBuildSerializer(serializers.Serializer):
    request = VisibleRequestField(slug_field="public_id", help_text="ROI request public id")
    bates_prefix = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Bates number prefix; empty: from the request number.",
    )


class CheckNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PacketFilterSet(django_filters.FilterSet):
    request = django_filters.UUIDFilter(field_name="request__public_id", label="Request public id")
    status = django_filters.ChoiceFilter(choices=Packet.Status.choices)

    class Meta:
        model = Packet
        fields = ["request", "status"]


class PacketViewSet(PHIReadOnlyViewSet):
    """Release packets: build one (a background task; poll ``status_url``), then a second
    person approves or rejects it in quality check; download the PDF."""

    queryset = Packet.objects.all()
    serializer_class = PacketSerializer
    filterset_class = PacketFilterSet
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    ordering_fields = ["requested_at", "built_at"]
    policy_actions = {"build": "add", "approve": "change", "reject": "change", "download": "view"}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("request", "requested_by", "checked_by")
            .order_by("-requested_at", "-pk")
        )

    def _out(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return PacketSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=PacketBuildSerializer, responses={202: PacketSerializer})
    @action(detail=False, methods=["post"])
    def build(self, request):
        """Build the request's packet in the background: 202 with the queued packet; poll
        its ``status_url`` until ``done``. A previous packet not yet released is superseded."""
        incoming = PacketBuildSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            with transaction.atomic():
                packet = packet_services.packet_request_build(
                    roi=data["request"], user=request.user, bates_prefix=data["bates_prefix"]
                )
                if not policy.can(request.user, "view", packet):
                    raise OutOfReachError()
        except OutOfReachError:
            _out_of_reach(self._label())
            raise
        return Response(self._out(packet), status=status.HTTP_202_ACCEPTED)

    def _check(self, request, service):
        packet = self.get_object()
        incoming = CheckNoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            service(packet=packet, user=request.user, note=incoming.validated_data["note"])
        except PermissionDenied as exc:
            trail.record(
                trail.Action.DENIED,
                obj=packet,
                outcome=trail.Outcome.DENIED,
                reason=str(exc)[:300],
                detail={"path": request.path},
            )
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(self._out(packet))

    @extend_schema(request=CheckNoteSerializer, responses=PacketSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, public_id=None):
        """Quality check passed: the packet may be released. Not by the person who built it."""
        return self._check(request, packet_services.packet_approve)

    @extend_schema(request=CheckNoteSerializer, responses=PacketSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, public_id=None):
        """Quality check failed (say what is wrong in ``note``): the request goes back in
        process for the documents to be fixed and the packet built again."""
        return self._check(request, packet_services.packet_reject)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def download(self, request, public_id=None):
        """The packet (PDF); an export in the trail. Needs the download permission."""
        packet = self.get_object()
        if not request.user.has_perm(DOWNLOAD_PERMISSION):
            trail.record(
                trail.Action.DENIED,
                obj=packet,
                outcome=trail.Outcome.DENIED,
                reason=f"role lacks {DOWNLOAD_PERMISSION}",
                detail={"path": request.path},
            )
            raise exceptions.PermissionDenied("Your role may not download packets.")
        try:
            handle = packet_services.packet_open(packet=packet, user=request.user)
        except FileNotFoundError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{packet.request.number}-packet.pdf",
            content_type="application/pdf",
        )


urlpatterns: list = []


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("request-documents", RequestDocumentViewSet, basename="requestdocument")
    router.register("redactions", RedactionViewSet, basename="redaction")
    router.register("packets", PacketViewSet, basename="packet")
