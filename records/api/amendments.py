"""Amendment requests over the API (45 CFR 164.526): list, read, create, and the
workflow's steps as actions. Rules live in records.services.amendments."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from him import policy, trail
from him.api.fields import VisibleSlugField
from him.api.reports import DownloadRenderer
from him.api.viewsets import OutOfReachError, PHIListCreateRetrieveViewSet
from records.api.serializers import PatientBriefSerializer
from records.filters_amendments import AmendmentRequestFilterSet
from records.models import AmendmentRequest, Document, Patient
from records.services import amendments as services


class DocumentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["public_id", "doc_type", "title", "service_date", "status"]


class AmendmentRequestSerializer(serializers.ModelSerializer):
    patient = PatientBriefSerializer(read_only=True)
    documents = DocumentBriefSerializer(many=True, read_only=True)
    deadline = serializers.DateField(read_only=True)
    overdue = serializers.SerializerMethodField()
    has_denial_letter = serializers.SerializerMethodField()
    has_acceptance_notice = serializers.SerializerMethodField()

    class Meta:
        model = AmendmentRequest
        fields = [
            "public_id",
            "patient",
            "documents",
            "requested_change",
            "requester_name",
            "requester_relationship",
            "received_on",
            "due_on",
            "extended_due_on",
            "deadline",
            "overdue",
            "extension_notice_on",
            "extension_reason",
            "status",
            "decided_on",
            "denial_basis",
            "denial_explanation",
            "notify_persons",
            "has_denial_letter",
            "has_acceptance_notice",
            "disagreement_statement",
            "disagreement_received_on",
            "rebuttal_statement",
            "rebuttal_on",
            "withdrawn_on",
            "withdrawal_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()

    def get_has_denial_letter(self, obj) -> bool:
        return bool(obj.denial_letter)

    def get_has_acceptance_notice(self, obj) -> bool:
        return bool(obj.acceptance_notice)


class VisiblePatientField(VisibleSlugField):
    queryset = Patient.objects.none()


class VisibleDocumentField(VisibleSlugField):
    queryset = Document.objects.none()


class AmendmentReceiveSerializer(serializers.Serializer):
    patient = VisiblePatientField(slug_field="enterprise_id")
    documents = VisibleDocumentField(slug_field="public_id", many=True)
    requested_change = serializers.CharField()
    requester_name = serializers.CharField(max_length=200)
    requester_relationship = serializers.CharField(max_length=100, default="Self")
    received_on = serializers.DateField()


class ExtendSerializer(serializers.Serializer):
    notice_on = serializers.DateField()
    reason = serializers.CharField()


class AcceptSerializer(serializers.Serializer):
    decided_on = serializers.DateField(required=False, allow_null=True)
    notify_persons = serializers.CharField(required=False, allow_blank=True, default="")


class DenySerializer(serializers.Serializer):
    # Named as the model's field, so the schema has one enum for the bases.
    denial_basis = serializers.ChoiceField(
        choices=AmendmentRequest.DenialBasis.choices,
        error_messages={"required": "Choose the basis for denial."},
    )
    explanation = serializers.CharField(required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True)


class StatementSerializer(serializers.Serializer):
    statement = serializers.CharField()
    received_on = serializers.DateField()


class RebuttalSerializer(serializers.Serializer):
    statement = serializers.CharField()
    rebuttal_on = serializers.DateField()


class WithdrawSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    withdrawn_on = serializers.DateField(required=False, allow_null=True)


STEP_ACTIONS = ("extend", "accept", "deny", "disagreement", "rebuttal", "withdraw")


class AmendmentRequestViewSet(PHIListCreateRetrieveViewSet, mixins.DestroyModelMixin):
    """Amendment requests; each workflow step is a POST on the request.

    No role may delete one (a request is withdrawn, never erased); the delete
    endpoint exists for a permission granted by hand, like every PHI endpoint.
    """

    queryset = AmendmentRequest.objects.all()
    serializer_class = AmendmentRequestSerializer
    filterset_class = AmendmentRequestFilterSet
    lookup_field = "public_id"
    ordering_fields = ["received_on", "due_on", "effective_due", "created_at"]
    policy_actions = dict.fromkeys(STEP_ACTIONS, "change")

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .with_deadline()
            .select_related("patient")
            .prefetch_related("documents")
            .order_by("effective_due", "received_on")
        )

    @extend_schema(request=AmendmentReceiveSerializer, responses={201: AmendmentRequestSerializer})
    def create(self, request, *args, **kwargs):
        """Log a written request; due 60 days after receipt."""
        incoming = AmendmentReceiveSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                obj = services.amendment_receive(user=request.user, **incoming.validated_data)
                if not policy.can(request.user, "view", obj):
                    raise OutOfReachError()
        except OutOfReachError:
            trail.record(
                trail.Action.DENIED,
                object_type=self._label(),
                outcome=trail.Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            raise
        return Response(self._out(obj), status=status.HTTP_201_CREATED)

    def _out(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return AmendmentRequestSerializer(fresh, context=self.get_serializer_context()).data

    def _step(self, request, serializer_class, service, *, decides: bool = False):
        obj = self.get_object()
        if decides and not request.user.has_perm(services.DECIDE_PERMISSION):
            trail.record(
                trail.Action.DENIED,
                obj=obj,
                outcome=trail.Outcome.DENIED,
                reason=f"role lacks {services.DECIDE_PERMISSION}",
                detail={"path": request.path},
            )
            raise exceptions.PermissionDenied(
                "Only an HIM manager or the privacy officer may accept or deny an amendment."
            )
        incoming = serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        if "denial_basis" in data:
            data["basis"] = data.pop("denial_basis")
        try:
            service(request=obj, user=request.user, **data)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(self._out(obj))

    @extend_schema(request=ExtendSerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, public_id=None):
        """The one 30-day extension (written notice dated on or before the first due date)."""
        return self._step(request, ExtendSerializer, services.amendment_extend)

    @extend_schema(request=AcceptSerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, public_id=None):
        """Accept: an amendment version is appended to each document concerned."""
        return self._step(request, AcceptSerializer, services.amendment_accept, decides=True)

    @extend_schema(request=DenySerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def deny(self, request, public_id=None):
        """Deny on a basis of 164.526(a)(2); the denial letter (PDF) is produced."""
        return self._step(request, DenySerializer, services.amendment_deny, decides=True)

    @extend_schema(request=StatementSerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def disagreement(self, request, public_id=None):
        """Record the individual's statement of disagreement with a denial."""
        return self._step(request, StatementSerializer, services.amendment_record_disagreement)

    @extend_schema(request=RebuttalSerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def rebuttal(self, request, public_id=None):
        """Record our rebuttal of a statement of disagreement."""
        return self._step(request, RebuttalSerializer, services.amendment_record_rebuttal)

    @extend_schema(request=WithdrawSerializer, responses=AmendmentRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, public_id=None):
        """The individual withdrew the request before a decision."""
        return self._step(request, WithdrawSerializer, services.amendment_withdraw)

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=["denial", "acceptance"], default="denial")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def letter(self, request, public_id=None):
        """The denial letter or acceptance notice (PDF); an export in the trail."""
        obj = self.get_object()
        kind = request.query_params.get("kind", "denial")
        try:
            handle = services.amendment_letter_download(request=obj, kind=kind, user=request.user)
        except FileNotFoundError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"amendment-{obj.short_ref}-{kind}.pdf",
            content_type="application/pdf",
        )
