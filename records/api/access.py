"""API for break-the-glass, its review, and per-patient / per-document grants."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from him import trail
from him.api.permissions import PolicyPermission
from him.api.viewsets import PHIListCreateRetrieveViewSet, PHIReadOnlyViewSet, PolicyViewSetMixin
from him.models import AccessEvent, User
from records.models import (
    BreakGlassAccess,
    DocumentUserObjectPermission,
    PatientUserObjectPermission,
)
from records.selectors import access as selectors
from records.services import access as services


def _validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


class BreakGlassSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    patient = serializers.SlugRelatedField(slug_field="enterprise_id", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = BreakGlassAccess
        fields = [
            "public_id",
            "user",
            "patient",
            "reason_code",
            "reason_text",
            "started_at",
            "expires_at",
            "active",
            "review_status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]
        read_only_fields = fields


class BreakGlassRequestSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=64, help_text="Enterprise id or MRN, exactly")
    reason_code = serializers.ChoiceField(choices=BreakGlassAccess.ReasonCode.choices)
    reason_text = serializers.CharField(max_length=2000)


class BreakGlassEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEvent
        fields = ["seq", "at", "action", "object_type", "object_id", "outcome", "ip"]


class BreakGlassReviewDetailSerializer(BreakGlassSerializer):
    events = serializers.SerializerMethodField()

    class Meta(BreakGlassSerializer.Meta):
        fields = [*BreakGlassSerializer.Meta.fields, "events"]
        read_only_fields = fields

    def get_events(self, obj) -> list[dict]:
        return BreakGlassEventSerializer(selectors.events_under(obj), many=True).data


class ReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[BreakGlassAccess.ReviewStatus.REVIEWED, BreakGlassAccess.ReviewStatus.ESCALATED]
    )
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class BreakGlassViewSet(PHIListCreateRetrieveViewSet):
    """My emergency accesses; POST asks for one (identifier plus reason)."""

    queryset = BreakGlassAccess.objects.all()
    serializer_class = BreakGlassSerializer
    lookup_field = "public_id"

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user).select_related("patient")

    def get_serializer_class(self):
        return BreakGlassRequestSerializer if self.action == "create" else BreakGlassSerializer

    def create(self, request, *args, **kwargs):
        incoming = BreakGlassRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            row = services.breakglass_request(user=request.user, **incoming.validated_data)
        except services.AlreadyReachable as reachable:
            raise exceptions.ValidationError(
                {
                    "identifier": [
                        "You can already open this record; no emergency access is needed "
                        f"(patient {reachable.patient.enterprise_id})."
                    ]
                }
            ) from None
        except DjangoValidationError as error:
            raise _validation(error) from None
        return Response(BreakGlassSerializer(row).data, status=status.HTTP_201_CREATED)


class BreakGlassReviewViewSet(PHIReadOnlyViewSet):
    """The privacy officer's queue: every emergency access in their facilities."""

    queryset = BreakGlassAccess.objects.all()
    serializer_class = BreakGlassSerializer
    lookup_field = "public_id"
    policy_actions = {"list": "review", "retrieve": "review", "review": "review"}
    filterset_fields = ["review_status"]

    def get_queryset(self):
        return super().get_queryset().select_related("user", "patient", "reviewed_by")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BreakGlassReviewDetailSerializer
        if self.action == "review":
            return ReviewSerializer
        return BreakGlassSerializer

    @action(detail=True, methods=["post"])
    def review(self, request, public_id=None):
        row = self.get_object()
        incoming = ReviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            row = services.breakglass_review(
                access_row=row,
                reviewer=request.user,
                status=incoming.validated_data["status"],
                note=incoming.validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            raise _validation(error) from None
        return Response(BreakGlassSerializer(row).data)


# Grants ----------------------------------------------------------------------------------


class _GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )


class PatientGrantSerializer(_GrantSerializer):
    patient = serializers.CharField(source="content_object.enterprise_id", max_length=10)


class DocumentGrantSerializer(_GrantSerializer):
    document = serializers.UUIDField(source="content_object.public_id")


class _GrantViewSet(
    PolicyViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [PolicyPermission]
    kind = "patient"

    def get_queryset(self):
        pair = (
            selectors.patient_grants(self.request.user)
            if self.kind == "patient"
            else selectors.document_grants(self.request.user)
        )
        return pair[0]

    def get_object(self):
        grant = self.get_queryset().filter(pk=self.kwargs.get("pk")).first()
        if grant is None:
            raise exceptions.NotFound("No such grant, or it is outside your access.")
        return grant

    def list(self, request, *args, **kwargs):
        response = super(PolicyViewSetMixin, self).list(request, *args, **kwargs)
        trail.record(
            trail.Action.READ,
            object_type=self._label(),
            detail={"shown": getattr(self, "_shown", [])},
        )
        return response

    def create(self, request, *args, **kwargs):
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        grantee = incoming.validated_data["user"]
        target = incoming.validated_data["content_object"]
        if self.kind == "patient":
            patient = selectors.patient_in_reach(request.user, target["enterprise_id"])
            if patient is None:
                raise exceptions.ValidationError(
                    {"patient": ["No patient with that enterprise id in your facilities."]}
                )
            services.patient_grant_add(patient=patient, grantee=grantee, by=request.user)
            obj = patient
        else:
            document = selectors.document_in_reach(request.user, target["public_id"])
            if document is None:
                raise exceptions.ValidationError(
                    {"document": ["No document with that id in your facilities."]}
                )
            services.document_grant_add(document=document, grantee=grantee, by=request.user)
            obj = document
        grant = self.get_queryset().filter(user=grantee, content_object=obj).first()
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        grant = self.get_object()
        if self.kind == "patient":
            services.patient_grant_remove(grant=grant, by=request.user)
        else:
            services.document_grant_remove(grant=grant, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientGrantViewSet(_GrantViewSet):
    """Who may open which restricted patient (privacy officer)."""

    queryset = PatientUserObjectPermission.objects.all()
    serializer_class = PatientGrantSerializer
    kind = "patient"


class DocumentGrantViewSet(_GrantViewSet):
    """Who may see which sensitive document whatever its categories (privacy officer)."""

    queryset = DocumentUserObjectPermission.objects.all()
    serializer_class = DocumentGrantSerializer
    kind = "document"
