"""API of the codesets part: the loaded versions (read-only) and a file import.

Code sets are reference data, not PHI: no facility scope and no trail on read.
An import is loaded in the background (``services.codeset_imports``) and writes
its trail row there (``codesets.run_import``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from coding.codesets_forms import max_upload_bytes
from coding.models import CodeSet, CodeSetImport, CodeSystem, MueLimit, NcciPair
from coding.services import codeset_imports, codesets
from him import context

urlpatterns: list = []


class CodeSetSerializer(serializers.ModelSerializer):
    system_display = serializers.CharField(source="get_system_display", read_only=True)

    class Meta:
        model = CodeSet
        fields = [
            "id",
            "system",
            "system_display",
            "version",
            "label",
            "effective_from",
            "effective_to",
            "source",
            "source_sha256",
            "item_count",
            "loaded_at",
        ]
        read_only_fields = fields


class CodeSetImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    done = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = CodeSetImport
        fields = [
            "id",
            "url",
            "kind",
            "setting",
            "version",
            "effective_from",
            "effective_to",
            "filename",
            "sha256",
            "size",
            "status",
            "done",
            "error",
            "loaded",
            "requested_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return f"/api/v1/coding/code-sets/imports/{job.public_id}/"


class CodeSetImportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(codesets.IMPORTERS.items()))
    file = serializers.FileField()
    version = serializers.CharField(max_length=20)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(required=False, allow_null=True)
    setting = serializers.ChoiceField(
        choices=sorted(set(NcciPair.Setting.values) | set(MueLimit.Setting.values)),
        required=False,
        allow_blank=True,
    )

    def validate_file(self, upload):
        if upload.size > max_upload_bytes():
            raise serializers.ValidationError(
                "The file is too large for an upload: load it with manage.py load_codesets."
            )
        return upload

    def validate(self, data):
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"effective_to": "The version cannot end before it starts."}
            )
        kind, setting = data["kind"], data.get("setting") or ""
        if kind == "ncci_ptp" and setting not in NcciPair.Setting.values:
            raise serializers.ValidationError(
                {"setting": "practitioner or hospital for an NCCI PTP file."}
            )
        if kind == "mue" and setting not in MueLimit.Setting.values:
            raise serializers.ValidationError(
                {"setting": "practitioner, hospital or dme for an MUE file."}
            )
        return data


@extend_schema_view(
    list=extend_schema(
        summary="Loaded code-set versions",
        parameters=[
            OpenApiParameter(
                "system", str, enum=CodeSystem.values, description="Only this code system."
            ),
            OpenApiParameter(
                "on", str, description="Only the version in force on this date (YYYY-MM-DD)."
            ),
        ],
    ),
    retrieve=extend_schema(summary="One code-set version"),
)
class CodeSetViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CodeSet.objects.all()
    serializer_class = CodeSetSerializer
    filter_backends: list = []
    policy_actions = {"import_file": "add", "import_status": "add"}

    def perform_authentication(self, request):
        super().perform_authentication(request)
        context.bind_user(request.user)

    def get_queryset(self):
        queryset = CodeSet.objects.order_by("system", "-effective_from", "version")
        if self.action != "list":
            return queryset
        params = self.request.query_params
        system = params.get("system")
        if system:
            if system not in CodeSystem.values:
                raise exceptions.ValidationError(
                    {"system": f"One of: {', '.join(CodeSystem.values)}."}
                )
            queryset = queryset.filter(system=system)
        on = params.get("on")
        if on:
            import datetime as dt

            try:
                day = dt.date.fromisoformat(on)
            except ValueError:
                raise exceptions.ValidationError({"on": "A date, YYYY-MM-DD."}) from None
            queryset = queryset.filter(effective_from__lte=day).exclude(effective_to__lt=day)
        return queryset

    @extend_schema(
        summary="Import a code-set file (HCPCS, CPT, modifiers, NCCI PTP, MUE)",
        description="The file is stored and loaded in the background: the answer (202) is "
        "the import, to follow at its `url` until `done`. A refused file has `status` "
        "`failed` and the reason (the line named) in `error`; nothing of it is kept.",
        request={"multipart/form-data": CodeSetImportSerializer},
        responses={202: CodeSetImportJobSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=CodeSetImportSerializer,
    )
    def import_file(self, request):
        form = CodeSetImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["file"]
        try:
            job = codeset_imports.import_request(
                kind=data["kind"],
                data=upload,
                filename=upload.name,
                version=data["version"],
                effective_from=data["effective_from"],
                effective_to=data.get("effective_to"),
                setting=data.get("setting") or "",
                user=request.user,
            )
        except codesets.CodeSetError as exc:
            raise exceptions.ValidationError({"file": [str(exc)]}) from exc
        return Response(CodeSetImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="One code-set import: its status, the versions it loaded or why it was refused",
        responses={200: CodeSetImportJobSerializer},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"imports/(?P<public_id>[0-9a-fA-F-]{36})",
        serializer_class=CodeSetImportJobSerializer,
    )
    def import_status(self, request, public_id=None):
        job = CodeSetImport.objects.filter(public_id=public_id).first()
        if job is None:
            raise exceptions.NotFound("No such import.")
        return Response(CodeSetImportJobSerializer(job).data)


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("code-sets", CodeSetViewSet, basename="codeset")
