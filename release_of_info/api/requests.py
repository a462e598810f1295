"""API of the requests part: requesters, requests (list, create, read, correct), the status
move, the extension, identity verification, and the request letters. Rules live in
release_of_info.services; every read and write goes through the policy and the trail."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from him import policy, trail
from him.api.fields import VisibleSlugField
from him.api.reports import DownloadRenderer
from him.api.viewsets import (
    OutOfReachError,
    PHIListCreateRetrieveViewSet,
    PHIModelViewSet,
    PHIReadOnlyViewSet,
)
from records.api.serializers import PatientBriefSerializer
from records.models import Document, Encounter, Patient
from release_of_info.models import Requester, ROIRequest
from release_of_info.models.requests import RequestLetter
from release_of_info.requests_filters import RequesterFilterSet, ROIRequestFilterSet
from release_of_info.requests_views import DENY_PERMISSION, SYSTEM_STATUSES, manual_moves
from release_of_info.services import requests as services
from release_of_info.services import requests_queries as queries
from release_of_info.services.status import roi_request_set_status

S = ROIRequest.Status

# Requesters --------------------------------------------------------------------------------


class RequesterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requester
        fields = [
            "public_id",
            "name",
            "type",
            "organization",
            "address_line",
            "city",
            "state",
            "postal_code",
            "email",
            "phone",
            "created_at",
        ]
        read_only_fields = ["public_id", "created_at"]

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give the requester's name.")
        return value.strip()


class RequesterBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requester
        fields = ["public_id", "name", "type", "organization"]


class RequesterViewSet(PHIModelViewSet):
    """People and organizations that ask for records (not PHI by themselves)."""

    queryset = Requester.objects.all()
    serializer_class = RequesterSerializer
    filterset_class = RequesterFilterSet
    lookup_field = "public_id"

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError:
            raise exceptions.ValidationError(
                {"non_field_errors": ["This requester has requests on file; it cannot be deleted."]}
            ) from None


# Requests ---------------------------------------------------------------------------------


class VisiblePatientField(VisibleSlugField):
    queryset = Patient.objects.none()
    default_error_messages = {
        "does_not_exist": "No patient you can reach has the enterprise id {value}.",
        "invalid": "Give the patient's enterprise id as text.",
    }


class VisibleEncounterField(VisibleSlugField):
    queryset = Encounter.objects.none()
    default_error_messages = {
        "does_not_exist": "No encounter you can reach has the id {value}.",
        "invalid": "Give the encounter's public id.",
    }


class VisibleRequesterField(VisibleSlugField):
    queryset = Requester.objects.none()
    default_error_messages = {
        "does_not_exist": "No requester has the id {value}.",
        "invalid": "Give the requester's public id.",
    }


class AssigneeField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": "No active user is called {value}."}

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="username",
            queryset=get_user_model().objects.filter(is_active=True),
            **kwargs,
        )


class LetterSerializer(serializers.ModelSerializer):
    letter_kind = serializers.ChoiceField(
        source="kind", choices=RequestLetter.Kind.choices, read_only=True
    )

    class Meta:
        model = RequestLetter
        fields = ["public_id", "letter_kind", "dated", "created_at"]


class ROIRequestSerializer(serializers.ModelSerializer):
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    patient = PatientBriefSerializer(read_only=True)
    requester = RequesterBriefSerializer(read_only=True)
    encounters = serializers.SlugRelatedField(slug_field="public_id", many=True, read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    identity_verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deadline = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    due_alert = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()
    needs_identity_verification = serializers.SerializerMethodField()
    letters = serializers.SerializerMethodField()

    class Meta:
        model = ROIRequest
        fields = [
            "public_id",
            "number",
            "facility",
            "patient",
            "requester",
            "received_on",
            "purpose",
            "purpose_detail",
            "document_types",
            "date_from",
            "date_to",
            "encounters",
            "format",
            "delivery",
            "status",
            "status_reason",
            "allowed_moves",
            "assigned_to",
            "due_on",
            "extended_due_on",
            "extension_reason",
            "extension_notice_on",
            "deadline",
            "days_left",
            "due_alert",
            "needs_identity_verification",
            "identity_verified_by",
            "identity_verified_at",
            "identity_method",
            "released_at",
            "closed_at",
            "letters",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_deadline(self, obj) -> str:
        return obj.effective_due_on.isoformat()

    def get_days_left(self, obj) -> int:
        return services.days_left(obj)

    def get_due_alert(self, obj) -> bool:
        """Open and due within 7 days or overdue (shown in red on the screens)."""
        return queries.is_red(obj)

    def get_allowed_moves(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None or not obj.is_open:
            return []
        return [value for value, _ in manual_moves(obj, request.user)]

    def get_needs_identity_verification(self, obj) -> bool:
        return services.needs_identity_verification(obj)

    @extend_schema_field(LetterSerializer(many=True))
    def get_letters(self, obj) -> list[dict]:
        request = self.context.get("request")
        if request is None or not request.user.has_perm("release_of_info.view_requestletter"):
            return []
        letters = RequestLetter.objects.visible_to(request.user).filter(roi=obj)
        return LetterSerializer(letters, many=True).data


class _WhatIsAskedSerializer(serializers.Serializer):
    requester = VisibleRequesterField(slug_field="public_id")
    received_on = serializers.DateField()
    purpose = serializers.ChoiceField(choices=ROIRequest.Purpose.choices)
    purpose_detail = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # Checked by the service (unknown types named in the error); the values are the
    # records app's document types, the same enum as a document's doc_type.
    document_types = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="Document types asked for (empty: all): " + ", ".join(Document.Type.values) + ".",
    )
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    encounters = VisibleEncounterField(slug_field="public_id", many=True, required=False)
    format = serializers.ChoiceField(choices=ROIRequest.Format.choices, required=False)
    delivery = serializers.ChoiceField(choices=ROIRequest.Delivery.choices, required=False)
    assigned_to = AssigneeField(required=False, allow_null=True)


class ROIRequestCreateSerializer(_WhatIsAskedSerializer):
    patient = VisiblePatientField(slug_field="enterprise_id")


class ROIRequestUpdateSerializer(_WhatIsAskedSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ROIStatusMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ROIRequest.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ROIExtendSerializer(serializers.Serializer):
    new_due_on = serializers.DateField()
    reason = serializers.CharField()
    notice_on = serializers.DateField(required=False, allow_null=True)


class ROIIdentitySerializer(serializers.Serializer):
    method = serializers.CharField(max_length=120)


class ROIRequestViewSet(
    PHIListCreateRetrieveViewSet, mixins.UpdateModelMixin, mixins.DestroyModelMixin
):
    """Requests for records. Status, extension and identity are POSTs on the request.

    No role may delete a request (it is cancelled, never erased); the endpoint exists
    for a permission granted by hand, like every PHI endpoint.
    """

    queryset = ROIRequest.objects.all()
    serializer_class = ROIRequestSerializer
    filterset_class = ROIRequestFilterSet
    lookup_field = "public_id"
    ordering_fields = ["received_on", "due_on", "deadline", "number", "created_at"]
    policy_actions = {"move": "change", "extend": "change", "verify_identity": "change"}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            queries.with_deadline(super().get_queryset())
            .select_related(
                "patient", "requester", "facility", "assigned_to", "identity_verified_by"
            )
            .prefetch_related("encounters")
            .order_by("deadline", "number")
        )

    def _out(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return ROIRequestSerializer(fresh, context=self.get_serializer_context()).data

    def _checked(self, fn):
        """Run a write; roll it back (and say so) if it leaves the caller's reach."""
        try:
            with transaction.atomic():
                obj = fn()
                if not policy.can(self.request.user, "view", obj):
                    raise OutOfReachError()
        except OutOfReachError:
            trail.record(
                trail.Action.DENIED,
                object_type=self._label(),
                outcome=trail.Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            raise
        return obj

    @extend_schema(request=ROIRequestCreateSerializer, responses={201: ROIRequestSerializer})
    def create(self, request, *args, **kwargs):
        """Log a request; numbered ROI-<year>-<6 digits>, due 30 days (or the facility's
        shorter limit) after receipt. A patient out of reach is "not found": nothing is made."""
        incoming = ROIRequestCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        obj = self._checked(lambda: services.roi_request_create(user=request.user, **data))
        return Response(self._out(obj), status=status.HTTP_201_CREATED)

    @extend_schema(request=ROIRequestUpdateSerializer, responses=ROIRequestSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct what was logged (requester, what is asked, format, delivery, assignee)."""
        roi = self.get_object()
        incoming = ROIRequestUpdateSerializer(
            data=request.data, context={"request": request}, partial=True
        )
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        self._checked(lambda: services.roi_request_update(roi=roi, user=request.user, **changes))
        return Response(self._out(roi))

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        "This request has letters or documents on file; cancel it instead."
                    ]
                }
            ) from None

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT", detail="Use PATCH to correct a request.")

    @extend_schema(request=ROIStatusMoveSerializer, responses=ROIRequestSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, public_id=None):
        """Move the status (a reason is required to hold, deny or cancel). Quality check and
        released are reached through the packet and release steps; a denial makes the letter."""
        roi = self.get_object()
        incoming = ROIStatusMoveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wanted = incoming.validated_data["status"]
        if wanted == S.DENIED and not request.user.has_perm(DENY_PERMISSION):
            trail.record(
                trail.Action.DENIED,
                obj=roi,
                outcome=trail.Outcome.DENIED,
                reason=f"role lacks {DENY_PERMISSION}",
                detail={"path": request.path},
            )
            raise exceptions.PermissionDenied("Your role may not deny a request.")
        if wanted in SYSTEM_STATUSES and roi.status != wanted:
            raise exceptions.ValidationError(
                {
                    "status": [
                        f"A request moves to {S(wanted).label.lower()} through the packet and "
                        "release steps, not by hand."
                    ]
                }
            )
        roi_request_set_status(
            roi=roi, status=wanted, user=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(self._out(roi))

    @extend_schema(request=ROIExtendSerializer, responses=ROIRequestSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, public_id=None):
        """The one extension: at most 30 days, notice dated on or before the first due date,
        with the reason; produces the notice letter (PDF)."""
        roi = self.get_object()
        incoming = ROIExtendSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.roi_request_extend(roi=roi, user=request.user, **incoming.validated_data)
        return Response(self._out(roi))

    @extend_schema(request=ROIIdentitySerializer, responses=ROIRequestSerializer)
    @action(detail=True, methods=["post"], url_path="verify-identity")
    def verify_identity(self, request, public_id=None):
        """Record who verified the requester's identity, when (now) and how."""
        roi = self.get_object()
        incoming = ROIIdentitySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.roi_request_verify_identity(
            roi=roi, user=request.user, method=incoming.validated_data["method"]
        )
        return Response(self._out(roi))


# Letters -----------------------------------------------------------------------------------


class RequestLetterDetailSerializer(LetterSerializer):
    request = serializers.SlugRelatedField(source="roi", slug_field="public_id", read_only=True)
    number = serializers.CharField(source="roi.number", read_only=True)

    class Meta(LetterSerializer.Meta):
        fields = [*LetterSerializer.Meta.fields, "request", "number"]


class RequestLetterFilterSet(django_filters.FilterSet):
    request = django_filters.UUIDFilter(field_name="roi__public_id", label="Request public id")
    letter_kind = django_filters.ChoiceFilter(field_name="kind", choices=RequestLetter.Kind.choices)

    class Meta:
        model = RequestLetter
        fields = ["request", "letter_kind"]


class RequestLetterViewSet(PHIReadOnlyViewSet):
    """Letters produced for requests (extension notices, denial letters)."""

    queryset = RequestLetter.objects.all()
    serializer_class = RequestLetterDetailSerializer
    lookup_field = "public_id"
    filterset_class = RequestLetterFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("roi").order_by("created_at", "pk")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def download(self, request, public_id=None):
        """The letter (PDF); an export in the trail."""
        letter = self.get_object()
        try:
            handle = services.letter_open(letter=letter, user=request.user)
        except FileNotFoundError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return FileResponse(
            handle, as_attachment=True, filename=letter.filename, content_type="application/pdf"
        )


urlpatterns: list = []


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("requesters", RequesterViewSet, basename="requester")
    router.register("requests", ROIRequestViewSet, basename="roirequest")
    router.register("letters", RequestLetterViewSet, basename="requestletter")


__all__ = ["register", "urlpatterns"]
