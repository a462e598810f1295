"""Documents API: metadata, content, versions, signing, entered in error; and
scanning intake (upload, queue, index). Rules live in the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from him import policy, trail
from him.api.parsers import JSONParser
from him.api.reports import DownloadRenderer
from him.api.viewsets import PolicyViewSetMixin
from records.api.serializers import ReachableFacilityField
from records.files import inspect_file
from records.filters_documents import DocumentFilterSet, ScanUploadFilterSet
from records.models import Document, DocumentVersion, Encounter, Patient, Provider, ScanUpload
from records.services import documents as services
from records.services import scanning as scan_services
from records.views.documents import version_response


def _user(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


@extend_schema_field(OpenApiTypes.STR)
class VisiblePatientField(serializers.SlugRelatedField):
    """A patient by enterprise id, among the patients the caller may reach."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="enterprise_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Patient.objects.none()
        return Patient.objects.visible_to(request.user, "view")


@extend_schema_field(OpenApiTypes.UUID)
class VisibleEncounterField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Encounter.objects.none()
        return Encounter.objects.visible_to(request.user, "view")


def checked_upload(value):
    if value is None:
        return value
    try:
        value.facts = inspect_file(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None
    return value


class DocumentVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default="", read_only=True)
    signed_by = serializers.StringRelatedField(read_only=True)
    content_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "number",
            "kind",
            "text",
            "file_name",
            "content_type",
            "size",
            "page_count",
            "sha256",
            "reason",
            "created_by",
            "created_at",
            "signed_by",
            "signed_at",
            "content_url",
        ]
        read_only_fields = fields

    def get_content_url(self, obj) -> str:
        url = reverse("records-api:document-content", args=[obj.document.public_id])
        return f"{url}?version={obj.number}"


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = VisiblePatientField()
    encounter = VisibleEncounterField(required=False, allow_null=True)
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    author = serializers.SlugRelatedField(
        slug_field="npi",
        queryset=Provider.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text="The author's NPI",
    )
    text = serializers.CharField(
        required=False, allow_blank=True, help_text="The current version's text"
    )
    file = serializers.FileField(
        required=False, write_only=True, help_text="PDF, TIFF, JPEG or PNG (checked by content)"
    )
    current_version = DocumentVersionSerializer(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "patient",
            "encounter",
            "facility",
            "doc_type",
            "title",
            "author",
            "service_date",
            "sensitivity",
            "status",
            "text",
            "file",
            "current_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        version = instance.current_version
        data["text"] = version.text if version else ""
        return data

    def validate_file(self, value):
        return checked_upload(value)

    def validate(self, attrs):
        if self.instance is None:
            if not (attrs.get("text") or "").strip() and not attrs.get("file"):
                raise serializers.ValidationError(
                    {"text": ["Give the document's text, a file, or both."]}
                )
        elif "patient" in attrs and attrs["patient"].pk != self.instance.patient_id:
            raise serializers.ValidationError(
                {"patient": ["A document cannot move to another patient."]}
            )
        return attrs

    def create(self, validated_data):
        return services.document_create(
            patient=validated_data["patient"],
            encounter=validated_data.get("encounter"),
            doc_type=validated_data["doc_type"],
            service_date=validated_data["service_date"],
            author=validated_data.get("author"),
            title=validated_data.get("title", ""),
            text=validated_data.get("text", ""),
            sensitivity=validated_data.get("sensitivity", 0),
            file=validated_data.get("file"),
            user=_user(self),
        )

    def update(self, instance, validated_data):
        validated_data.pop("patient", None)
        text = validated_data.pop("text", None)
        file = validated_data.pop("file", None)
        return services.document_update(
            document=instance, user=_user(self), text=text, file=file, **validated_data
        )


class VersionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[DocumentVersion.Kind.CORRECTION, DocumentVersion.Kind.ADDENDUM]
    )
    reason = serializers.CharField()
    text = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False)

    def validate_file(self, value):
        return checked_upload(value)

    def validate(self, attrs):
        if not attrs.get("text", "").strip() and not attrs.get("file"):
            raise serializers.ValidationError({"text": ["A new version needs its text or a file."]})
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


FILE_RESPONSE = {(200, "*/*"): OpenApiTypes.BINARY}


class DocumentViewSet(
    PolicyViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of the legal health record. Signed documents change only by new versions;
    documents entered in error are left out of lists unless ``show_entered_in_error=true``."""

    queryset = Document.objects.all()
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    ordering_fields = ["service_date", "created_at"]

    @property
    def policy_actions(self) -> dict[str, str]:
        writing = getattr(self, "request", None) is not None and self.request.method == "POST"
        return {
            "versions": "change" if writing else "view",
            "sign": "view",
            "entered_in_error": "change",
            "content": "view",
            "download": "view",
        }

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("patient", "encounter", "facility", "author", "current_version")
            .select_related("current_version__created_by", "current_version__signed_by")
        )

    def filter_queryset(self, queryset):
        # Filters (and hiding documents entered in error) are for lists: a document is
        # always reachable by its id, with its status saying what it is.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def perform_destroy(self, instance):
        raise exceptions.MethodNotAllowed(
            "DELETE",
            detail="A document is never deleted; mark it entered in error (with a reason) instead.",
        )

    def _content(self, request, *, download: bool):
        document = self.get_object()
        version = document.current_version
        number = request.query_params.get("version")
        if number:
            version = document.versions.filter(number=number if number.isdigit() else 0).first()
        if version is None:
            raise exceptions.NotFound("No such version of this document.")
        response = version_response(document, version, download=download)
        trail.record(
            trail.Action.EXPORT if download else trail.Action.READ,
            obj=document,
            detail={"version": version.number, "content": version.content_type or "text"},
        )
        return response

    @extend_schema(responses=FILE_RESPONSE, summary="The content, inline (a read in the trail)")
    @action(
        detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, DownloadRenderer]
    )
    def content(self, request, id=None):
        return self._content(request, download=False)

    @extend_schema(responses=FILE_RESPONSE, summary="The content as a download (an export)")
    @action(
        detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, DownloadRenderer]
    )
    def download(self, request, id=None):
        return self._content(request, download=True)

    @extend_schema(
        methods=["GET"], responses=DocumentVersionSerializer(many=True), summary="Versions"
    )
    @extend_schema(
        methods=["POST"],
        request=VersionCreateSerializer,
        responses={201: DocumentVersionSerializer},
        summary="Add a correction or addendum",
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, id=None):
        document = self.get_object()
        if request.method == "GET":
            versions = document.versions.select_related("created_by", "signed_by", "document")
            trail.record(trail.Action.READ, obj=document, detail={"versions": True})
            return Response(DocumentVersionSerializer(versions, many=True).data)
        serializer = VersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = services.document_add_version(
            document=document,
            kind=data["kind"],
            reason=data["reason"],
            text=data.get("text", ""),
            file=data.get("file"),
            user=request.user,
        )
        return Response(DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DocumentSerializer, summary="Sign (the author only)")
    @action(detail=True, methods=["post"])
    def sign(self, request, id=None):
        document = self.get_object()
        try:
            services.document_sign_as_user(document=document, user=request.user)
        except services.SignatureRefused as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        document.refresh_from_db()
        return Response(self.get_serializer(document).data)

    @extend_schema(request=ReasonSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request, id=None):
        document = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.document_mark_entered_in_error(
            document=document, user=request.user, reason=serializer.validated_data["reason"]
        )
        document.refresh_from_db()
        return Response(self.get_serializer(document).data)


# Scanning intake -----------------------------------------------------------------------------


class ScanUploadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    facility = ReachableFacilityField(slug_field="code")
    file = serializers.FileField(write_only=True, help_text="PDF, TIFF, JPEG or PNG")
    document = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    duplicate_warning = serializers.SerializerMethodField()

    class Meta:
        model = ScanUpload
        fields = [
            "id",
            "facility",
            "file",
            "file_name",
            "content_type",
            "size",
            "page_count",
            "sha256",
            "status",
            "reject_reason",
            "document",
            "created_at",
            "indexed_at",
            "duplicate_warning",
        ]
        read_only_fields = [
            "file_name",
            "content_type",
            "size",
            "page_count",
            "sha256",
            "status",
            "reject_reason",
            "created_at",
            "indexed_at",
        ]

    def get_duplicate_warning(self, obj) -> str:
        return scan_services.duplicate_warning(obj) if obj.status == "unindexed" else ""

    def validate_file(self, value):
        return checked_upload(value)

    def create(self, validated_data):
        return scan_services.scan_upload_create(
            facility=validated_data["facility"], user=_user(self), file=validated_data["file"]
        )


class ScanIndexSerializer(serializers.Serializer):
    patient = VisiblePatientField()
    encounter = VisibleEncounterField(required=False, allow_null=True)
    doc_type = serializers.ChoiceField(
        choices=Document.Type.choices, default=Document.Type.OUTSIDE_RECORD
    )
    service_date = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, default="")
    author = serializers.SlugRelatedField(
        slug_field="npi", queryset=Provider.objects.filter(active=True), required=False
    )


class ScanUploadViewSet(
    PolicyViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Scanned files; the list shows the unindexed queue unless ``status`` is given."""

    queryset = ScanUpload.objects.all()
    serializer_class = ScanUploadSerializer
    filterset_class = ScanUploadFilterSet
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    policy_actions = {"index": "change", "reject": "change", "content": "view"}

    def get_queryset(self):
        queryset = super().get_queryset().select_related("facility", "document")
        if self.action == "list" and not self.request.query_params.get("status"):
            queryset = queryset.filter(status=ScanUpload.Status.UNINDEXED)
        return queryset

    def perform_destroy(self, instance):
        raise exceptions.MethodNotAllowed(
            "DELETE", detail="A scan is never deleted; reject it (with a reason) instead."
        )

    @extend_schema(responses=FILE_RESPONSE)
    @action(
        detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, DownloadRenderer]
    )
    def content(self, request, id=None):
        upload = self.get_object()
        response = version_response(upload, upload, download=False)
        trail.record(trail.Action.READ, obj=upload, detail={"content": upload.content_type})
        return response

    @extend_schema(request=ScanIndexSerializer, responses={201: DocumentSerializer})
    @action(detail=True, methods=["post"])
    def index(self, request, id=None):
        upload = self.get_object()
        serializer = ScanIndexSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            document = scan_services.scan_upload_index(
                upload=upload, user=request.user, **serializer.validated_data
            )
            if not policy.can(request.user, "view", document):
                raise exceptions.PermissionDenied(
                    "Not saved: the result would be outside the facilities you can reach."
                )
        body = DocumentSerializer(document, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=ScanUploadSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        upload = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = scan_services.scan_upload_reject(
            upload=upload, user=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(upload).data)
