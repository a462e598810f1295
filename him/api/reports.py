"""Report runs over the API: list mine, request one, poll it, download its output.

A run is requested with ``{"report_key", "parameters", "output_format"}``; the
parameters are checked by the report's own form, exactly as on the web page.
"""

from __future__ import annotations

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from him import report_services, reports
from him.api.viewsets import PHIListCreateRetrieveViewSet
from him.models import ReportRun


class ReportRunSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    report_title = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "report_key",
            "report_title",
            "parameters",
            "output_format",
            "status",
            "status_display",
            "progress",
            "error",
            "row_count",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_report_title(self, run: ReportRun) -> str:
        try:
            return reports.get(run.report_key).title
        except reports.ReportError:
            return run.report_key

    def get_download_url(self, run: ReportRun) -> str | None:
        if run.status != ReportRun.Status.DONE:
            return None
        from django.urls import reverse

        url = reverse("him-api:reportrun-download", args=[run.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ReportRunCreateSerializer(serializers.Serializer):
    report_key = serializers.CharField(max_length=100)
    parameters = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    output_format = serializers.ChoiceField(choices=ReportRun.Format.choices)

    def validate_report_key(self, value: str) -> str:
        user = self.context["request"].user
        try:
            report = reports.get(value)
        except reports.ReportError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if not report.available_to(user):
            raise serializers.ValidationError("Your role does not allow this report.")
        return value

    def create(self, validated_data) -> ReportRun:
        try:
            return report_services.report_run_request(
                user=self.context["request"].user,
                report_key=validated_data["report_key"],
                parameters=validated_data.get("parameters") or {},
                output_format=validated_data["output_format"],
            )
        except DjangoValidationError as exc:
            errors = {}
            for field, messages in exc.message_dict.items():
                if field == "output_format":
                    errors["output_format"] = messages
                else:
                    key = "non_field_errors" if field == "__all__" else field
                    errors.setdefault("parameters", {})[key] = messages
            raise serializers.ValidationError(errors) from None
        except reports.ReportError as exc:
            raise serializers.ValidationError({"report_key": [str(exc)]}) from None


class AvailableReportSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    parameters = serializers.ListField(child=serializers.DictField())


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a download be asked for with any Accept header; errors still come as JSON."""

    media_type = "*/*"
    format = "download"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | bytearray):
            return data
        return orjson.dumps(data)


class ReportRunViewSet(PHIListCreateRetrieveViewSet):
    """My report runs. Create one, poll it, download its output (an export in the trail)."""

    queryset = ReportRun.objects.all()
    serializer_class = ReportRunSerializer
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    filterset_fields = ["status", "report_key", "output_format"]
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at"]
    policy_actions = {"download": "view", "available": "add"}

    def get_queryset(self):
        return super().get_queryset().select_related("requested_by")

    def get_serializer_class(self):
        if self.action == "create":
            return ReportRunCreateSerializer
        return ReportRunSerializer

    @extend_schema(request=ReportRunCreateSerializer, responses={201: ReportRunSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ReportRunCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        # The service validates again, creates the run, writes the trail row and
        # enqueues the task after commit.
        run = serializer.save()
        data = ReportRunSerializer(run, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: AvailableReportSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def available(self, request):
        """The reports the caller may run, with their parameters and formats."""
        data = []
        for report in reports.available_to(request.user):
            form = report.get_form()
            data.append(
                {
                    "key": report.key,
                    "title": report.title,
                    "description": report.description,
                    "formats": list(report.formats),
                    "parameters": [
                        {
                            "name": name,
                            "label": str(field.label or name),
                            "required": field.required,
                            "type": type(field).__name__.removesuffix("Field").lower(),
                            "help_text": str(field.help_text or ""),
                        }
                        for name, field in form.fields.items()
                    ],
                }
            )
        return Response(data)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def download(self, request, public_id=None):
        """The run's output file (CSV, XLSX or PDF); 404 until it is done."""
        run = self.get_object()
        try:
            handle = report_services.report_run_download(run=run, user=request.user)
        except report_services.DownloadRefused as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        except reports.ReportError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=run.output_name or report_services.download_filename(run),
            content_type=reports.CONTENT_TYPES.get(run.output_format, "application/octet-stream"),
        )
