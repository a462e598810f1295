"""Deficiencies over the API: list/retrieve with the work list's filters, waive;
the rules (read-only); delinquency figures per facility."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from him import policy
from him.api.permissions import PolicyPermission
from him.api.viewsets import PHIReadOnlyViewSet
from records.filters_deficiencies import DeficiencyFilterSet
from records.models import Deficiency, DeficiencyRule
from records.services import deficiencies as services


class DeficiencySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_ref", read_only=True)
    facility = serializers.CharField(source="encounter.facility.code", read_only=True)
    patient = serializers.CharField(source="encounter.patient.enterprise_id", read_only=True)
    encounter = serializers.CharField(source="encounter.number", read_only=True)
    encounter_id = serializers.CharField(source="encounter.public_ref", read_only=True)
    document = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    rule = serializers.CharField(source="rule.name", read_only=True, default="")
    is_delinquent = serializers.BooleanField(read_only=True)
    waived_by = serializers.CharField(source="waived_by.username", read_only=True, default="")
    replies = serializers.SerializerMethodField()

    class Meta:
        model = Deficiency
        fields = [
            "id",
            "facility",
            "patient",
            "encounter",
            "encounter_id",
            "document",
            "kind",
            "doc_type",
            "rule",
            "provider",
            "due_at",
            "status",
            "is_delinquent",
            "completed_at",
            "waived_by",
            "waive_reason",
            "note",
            "replies",
            "created_at",
        ]
        read_only_fields = fields

    def get_replies(self, obj) -> list[dict]:
        return [
            {"author": r.author.username, "text": r.text, "at": r.created_at.isoformat()}
            for r in obj.replies.all()
        ]

    def get_document(self, obj) -> str | None:
        return str(obj.document.public_id) if obj.document_id else None

    def get_provider(self, obj) -> dict | None:
        if not obj.provider_id:
            return None
        return {"npi": obj.provider.npi, "name": str(obj.provider)}


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, default="")


class FlagIncompleteSerializer(serializers.Serializer):
    document = serializers.UUIDField(help_text="The document's public id")
    note = serializers.CharField(allow_blank=True, required=False, default="")
    due_days = serializers.IntegerField(required=False, default=services.INCOMPLETE_DUE_DAYS)


class DeficiencyViewSet(PHIReadOnlyViewSet):
    queryset = Deficiency.objects.all()
    serializer_class = DeficiencySerializer
    filterset_class = DeficiencyFilterSet
    lookup_field = "public_id"
    ordering_fields = ["due_at", "created_at"]
    # Waiving is checked by the service (records.waive_deficiency); finding the
    # deficiency needs only that the user may see it.
    policy_actions = {
        "waive": "view",
        "reply": "view",
        "complete": "change",
        "flag_incomplete": "add",
    }

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .with_delinquency()
            .select_related(
                "encounter__facility",
                "encounter__patient",
                "document",
                "provider",
                "rule",
                "waived_by",
            )
            .prefetch_related("replies__author")
        )

    @extend_schema(request=WaiveSerializer, responses=DeficiencySerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, public_id=None):
        deficiency = self.get_object()
        body = WaiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deficiency_waive(
            deficiency=deficiency, user=request.user, reason=body.validated_data["reason"]
        )
        fresh = self.get_queryset().get(pk=deficiency.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=ReplySerializer, responses=DeficiencySerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, public_id=None):
        """Reply on a deficiency (e.g. a physician disputing it)."""
        deficiency = self.get_object()
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deficiency_reply(
            deficiency=deficiency, user=request.user, text=body.validated_data["text"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=deficiency.pk)).data)

    @extend_schema(request=None, responses=DeficiencySerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, public_id=None):
        """Close an "incomplete" finding once the document is fixed."""
        deficiency = self.get_object()
        services.deficiency_complete(deficiency=deficiency, user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=deficiency.pk)).data)

    @extend_schema(request=FlagIncompleteSerializer, responses={201: DeficiencySerializer})
    @action(detail=False, methods=["post"], url_path="flag-incomplete")
    def flag_incomplete(self, request):
        """Record that a document is incomplete: a deficiency for its author."""
        from rest_framework import exceptions, status

        from records.models import Document

        body = FlagIncompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = (
            Document.objects.visible_to(request.user, "view")
            .filter(public_id=body.validated_data["document"])
            .first()
        )
        if document is None:
            raise exceptions.NotFound("No such document, or it is outside your access.")
        deficiency = services.deficiency_flag_incomplete(
            document=document,
            user=request.user,
            note=body.validated_data["note"],
            due_days=body.validated_data["due_days"],
        )
        fresh = self.get_queryset().get(pk=deficiency.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class DeficiencyRuleSerializer(serializers.ModelSerializer):
    facility = serializers.CharField(source="facility.code", read_only=True, default=None)

    class Meta:
        model = DeficiencyRule
        fields = [
            "id",
            "facility",
            "name",
            "kind",
            "doc_type",
            "anchor",
            "hours_allowed",
            "encounter_classes",
            "active",
        ]
        read_only_fields = fields


class DeficiencyRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """Rules are configuration, not PHI: the model permission is enough."""

    queryset = DeficiencyRule.objects.select_related("facility")
    serializer_class = DeficiencyRuleSerializer
    permission_classes = [PolicyPermission]
    filterset_fields = ["kind", "anchor", "active"]


class CanSeeDelinquency(permissions.BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("records.view_delinquency")


class DelinquencySerializer(serializers.Serializer):
    facility = serializers.CharField()
    facility_name = serializers.CharField()
    delinquent_records = serializers.IntegerField()
    open_deficiencies = serializers.IntegerField()
    average_monthly_discharges = serializers.FloatField()
    rate = serializers.FloatField(allow_null=True, help_text="percent")
    threshold = serializers.FloatField(help_text="percent")
    status = serializers.CharField()


class DelinquencyViewSet(viewsets.ViewSet):
    """Delinquency rate per facility the caller reaches (figures only, no PHI)."""

    permission_classes = [PolicyPermission, CanSeeDelinquency]
    policy_model = Deficiency

    @extend_schema(responses=DelinquencySerializer(many=True))
    def list(self, request):
        rows = services.delinquency_for_user(request.user)
        if not policy.has_model_permission(request.user, Deficiency, "view"):
            rows = []
        return Response([r.as_dict() for r in rows])
