"""API of the authfees part: authorizations (with the request's computed verdict),
fee schedules (HIM manager), invoices (read, paid, waived), the verdict and the
fee estimate of a request. Rules live in release_of_info.services."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, renderers, serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from him import policy, trail
from him.api.fields import VisibleSlugField
from him.api.parsers import JSONParser
from him.api.permissions import PolicyPermission
from him.api.reports import DownloadRenderer
from him.api.viewsets import PHIModelViewSet, PHIReadOnlyViewSet
from him.models import Facility
from him.trail import Action, Outcome
from records import files
from records.models import Document, Encounter, Sensitivity
from release_of_info.models import Authorization, FeeSchedule, Invoice, Requester, ROIRequest
from release_of_info.services import authfees_fees as fees
from release_of_info.services import authorization as services

# Fields -----------------------------------------------------------------------------------


class VisibleRequestField(VisibleSlugField):
    queryset = ROIRequest.objects.none()


class VisibleEncounterField(VisibleSlugField):
    queryset = Encounter.objects.none()


class ReachableFacilityField(serializers.SlugRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Facility.objects.none()
        return Facility.objects.filter(pk__in=policy.facility_ids(request.user), active=True)


CATEGORY_NAMES = [c.name.lower() for c in Sensitivity]


class NamesField(serializers.ListField):
    """A list of names from a fixed set, checked as a whole: one readable message,
    not errors keyed by list position (which the JSON renderer cannot write)."""

    allowed: list[str] = []
    what = "names"

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.ChoiceField(choices=self.allowed))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise serializers.ValidationError(f"Give a list of {self.what}.")
        unknown = [v for v in data if v not in self.allowed]
        if unknown:
            raise serializers.ValidationError(
                f"Not {self.what}: {', '.join(unknown)}. Use: {', '.join(self.allowed)}."
            )
        return list(dict.fromkeys(data))


class CategoriesField(NamesField):
    """The bits of records.Sensitivity as names: ["hiv", "genetic"]."""

    allowed = CATEGORY_NAMES
    what = "sensitive categories"

    def to_representation(self, data):
        return [c.name.lower() for c in Sensitivity if (data or 0) & c.value]

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        return sum(Sensitivity[name.upper()].value for name in names)


class DocumentTypesField(NamesField):
    # Plain strings in the schema: the document-type enum is named once, by records.
    allowed = list(Document.Type.values)
    what = "document types"

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField())
        super().__init__(**kwargs)


class VerdictSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    basis = serializers.CharField()


def verdict_data(roi: ROIRequest) -> dict:
    result = services.verdict(roi)
    return {"valid": result.valid, "reasons": list(result.reasons), "basis": result.basis}


# Authorizations ---------------------------------------------------------------------------


class AuthorizationSerializer(serializers.ModelSerializer):
    request = VisibleRequestField(slug_field="public_id")
    encounters = VisibleEncounterField(slug_field="public_id", many=True, required=False)
    document_types = DocumentTypesField(
        required=False, help_text="Document types covered (none: all)."
    )
    categories = CategoriesField(
        required=False,
        help_text="Sensitive categories the form names explicitly.",
    )
    has_file = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()

    class Meta:
        model = Authorization
        fields = [
            "public_id",
            "request",
            "kind",
            "description",
            "disclosing_party",
            "recipient_name",
            "purpose",
            "purpose_detail",
            "expires_on",
            "expiration_event",
            "expiration_event_on",
            "signed_by_name",
            "signed_on",
            "signed_by_representative",
            "representative_authority",
            "states_right_to_revoke",
            "states_conditioning",
            "states_redisclosure",
            "document_types",
            "date_from",
            "date_to",
            "encounters",
            "categories",
            "part2_program",
            "part2_description",
            "revoked_on",
            "revocation_note",
            "has_file",
            "file_name",
            "content_type",
            "page_count",
            "sha256",
            "problems",
            "verdict",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "public_id",
            "revoked_on",
            "revocation_note",
            "file_name",
            "content_type",
            "page_count",
            "sha256",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        if (
            self.instance is not None
            and "request" in attrs
            and attrs["request"].pk != self.instance.request_id
        ):
            raise serializers.ValidationError(
                {"request": "An authorization stays with the request it was filed for."}
            )
        frm = attrs.get("date_from", getattr(self.instance, "date_from", None))
        to = attrs.get("date_to", getattr(self.instance, "date_to", None))
        if frm and to and to < frm:
            raise serializers.ValidationError(
                {"date_to": "The end of the range is before its start."}
            )
        roi = attrs.get("request") or getattr(self.instance, "request", None)
        for encounter in attrs.get("encounters", []):
            if roi is not None and encounter.patient_id != roi.patient_id:
                raise serializers.ValidationError(
                    {"encounters": "An encounter of another patient."}
                )
        return attrs

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)

    def get_problems(self, obj) -> list[str]:
        return services.problems_of(obj, obj.request, timezone.localdate())

    @extend_schema_field(VerdictSerializer)
    def get_verdict(self, obj) -> dict:
        return verdict_data(obj.request)


class AuthorizationUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"The signed form: {files.ACCEPTED}.")

    def validate_file(self, value):
        try:
            files.inspect_file(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class AuthorizationRevokeSerializer(serializers.Serializer):
    revoked_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _service_call(fn, **kwargs):
    try:
        with transaction.atomic():
            return fn(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from None
        raise serializers.ValidationError({"detail": exc.messages}) from None


class AuthorizationViewSet(PHIModelViewSet):
    """Authorizations filed for requests; each carries the request's computed verdict.

    Filter with ``?request=<request public_id>``. The signed form is uploaded with
    ``POST .../upload/`` (multipart) and read with ``GET .../file/`` (in the trail).
    """

    queryset = Authorization.objects.all()
    serializer_class = AuthorizationSerializer
    lookup_field = "public_id"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    policy_actions = {"upload": "change", "revoke": "change", "file": "view"}

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .select_related("request__patient", "request__requester", "recipient")
            .prefetch_related("encounters")
        )
        wanted = self.request.query_params.get("request")
        if wanted and self.action == "list":
            try:
                qs = qs.filter(request__public_id=wanted)
            except (ValueError, ValidationError):
                return qs.none()
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("request", OpenApiTypes.UUID, description="Request public id")]
    )
    def list(self, request, *args, **kwargs):
        wanted = request.query_params.get("request")
        if wanted:
            try:
                uuid.UUID(str(wanted))
            except ValueError:
                raise exceptions.ValidationError(
                    {"request": "Give the request's public id (a UUID)."}
                ) from None
        return super().list(request, *args, **kwargs)

    def save_kwargs(self) -> dict:
        return {"created_by": self.request.user} if self.action == "create" else {}

    @extend_schema(
        request={"multipart/form-data": AuthorizationUploadSerializer},
        responses=AuthorizationSerializer,
    )
    @action(detail=True, methods=["post"])
    def upload(self, request, public_id=None):
        """Upload (or replace) the signed form: PDF, TIFF, JPEG or PNG, checked by content."""
        auth = self.get_object()
        body = AuthorizationUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        auth = _service_call(
            services.authorization_attach_file,
            authorization=auth,
            uploaded=body.validated_data["file"],
            user=request.user,
        )
        return Response(self.get_serializer(auth).data)

    @extend_schema(request=AuthorizationRevokeSerializer, responses=AuthorizationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, public_id=None):
        """Record the patient's written revocation."""
        auth = self.get_object()
        body = AuthorizationRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        auth = _service_call(
            services.authorization_revoke,
            authorization=auth,
            user=request.user,
            revoked_on=body.validated_data["revoked_on"],
            note=body.validated_data.get("note", ""),
        )
        return Response(self.get_serializer(auth).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(
        detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, DownloadRenderer]
    )
    def file(self, request, public_id=None):
        """The signed form (an export in the trail)."""
        auth = self.get_object()
        if not auth.file:
            raise exceptions.NotFound("No signed form is uploaded for this authorization.")
        try:
            handle = auth.file.open("rb")
        except (FileNotFoundError, OSError):
            raise exceptions.NotFound(
                "The stored file is missing; tell the HIM department."
            ) from None
        trail.record(Action.EXPORT, obj=auth, reason="signed authorization form")
        return FileResponse(
            handle,
            as_attachment=True,
            filename=auth.file_name or "authorization",
            content_type=auth.content_type or "application/octet-stream",
        )


# Fee schedules -----------------------------------------------------------------------------


class ManageFeesPermission(PolicyPermission):
    """Writes to the fee set-up also need ``manage_fees`` (the HIM manager's)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if request.user.has_perm("release_of_info.manage_fees"):
            return True
        trail.record(
            Action.DENIED,
            object_type="release_of_info.feeschedule",
            outcome=Outcome.DENIED,
            reason="role lacks release_of_info.manage_fees",
            detail={"path": request.path, "method": request.method},
        )
        return False


class TierSerializer(serializers.Serializer):
    up_to = serializers.IntegerField(allow_null=True, min_value=1)
    per_page = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class FeeScheduleSerializer(serializers.ModelSerializer):
    facility = ReachableFacilityField(slug_field="code")
    requester_type = serializers.ChoiceField(
        choices=[
            c
            for c in Requester.Type.choices
            if c[0] not in (Requester.Type.PATIENT, Requester.Type.REPRESENTATIVE)
        ],
        help_text="A patient's own copy is charged by the facility's access policy, never here.",
    )
    tiers = TierSerializer(many=True, required=False)
    base_fee = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)
    per_page = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)
    postage = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)

    class Meta:
        model = FeeSchedule
        fields = [
            "public_id",
            "facility",
            "requester_type",
            "base_fee",
            "per_page",
            "postage",
            "tiers",
            "active",
            "updated_at",
        ]
        read_only_fields = ["public_id", "updated_at"]
        validators = []  # the unique pair gets a readable message in validate()

    def validate_tiers(self, value):
        try:
            return fees.check_tiers([dict(t) for t in value])
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, attrs):
        facility = attrs.get("facility", getattr(self.instance, "facility", None))
        rtype = attrs.get("requester_type", getattr(self.instance, "requester_type", None))
        clash = FeeSchedule.objects.filter(facility=facility, requester_type=rtype)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"requester_type": "This facility already has a schedule for that type."}
            )
        return attrs


class FeeScheduleViewSet(PHIModelViewSet):
    """Fee schedules per facility and requester type; written by the HIM manager."""

    queryset = FeeSchedule.objects.all()
    serializer_class = FeeScheduleSerializer
    lookup_field = "public_id"
    permission_classes = [ManageFeesPermission]

    def get_queryset(self):
        return super().get_queryset().select_related("facility")

    def save_kwargs(self) -> dict:
        return {"updated_by": self.request.user}


# Invoices --------------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)


class InvoiceSerializer(serializers.ModelSerializer):
    request = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    status_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "public_id",
            "number",
            "request",
            "pages",
            "lines",
            "total",
            "status",
            "status_by",
            "status_at",
            "status_reason",
            "payment_reference",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoicePaidSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InvoiceWaiveSerializer(serializers.Serializer):
    reason = serializers.CharField()


class InvoiceViewSet(PHIReadOnlyViewSet):
    """Invoices (made when a packet is built); mark paid or waive (with a reason)."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    lookup_field = "public_id"
    policy_actions = {"paid": "change", "waive": "change"}

    def get_queryset(self):
        return super().get_queryset().select_related("request", "status_by")

    @extend_schema(request=InvoicePaidSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def paid(self, request, public_id=None):
        """Mark the invoice paid (an unpaid one only)."""
        invoice = self.get_object()
        body = InvoicePaidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invoice = _service_call(
            fees.invoice_mark_paid,
            invoice=invoice,
            user=request.user,
            reference=body.validated_data.get("reference", ""),
        )
        return Response(InvoiceSerializer(invoice).data)

    @extend_schema(request=InvoiceWaiveSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, public_id=None):
        """Waive the fee; the reason is required."""
        invoice = self.get_object()
        body = InvoiceWaiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invoice = _service_call(
            fees.invoice_waive,
            invoice=invoice,
            user=request.user,
            reason=body.validated_data["reason"],
        )
        return Response(InvoiceSerializer(invoice).data)


# A request's verdict and estimate ----------------------------------------------------------


class EstimateSerializer(serializers.Serializer):
    pages = serializers.IntegerField()
    lines = InvoiceLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    note = serializers.CharField()


class _RequestReadView(APIView):
    permission_classes = [PolicyPermission]
    policy_model = ROIRequest

    def roi(self, request, public_id) -> ROIRequest:
        try:
            roi = ROIRequest.objects.visible_to(request.user).get(public_id=public_id)
        except ROIRequest.DoesNotExist:
            trail.record(
                Action.READ,
                object_type="release_of_info.roirequest",
                object_id=str(public_id),
                outcome=Outcome.NOT_FOUND,
            )
            raise exceptions.NotFound("No such record, or it is outside your access.") from None
        return roi


class RequestVerdictView(_RequestReadView):
    @extend_schema(responses=VerdictSerializer, operation_id="roi_request_verdict")
    def get(self, request, public_id):
        """May the request be honoured? The computed verdict and every reason if not."""
        roi = self.roi(request, public_id)
        trail.record(Action.READ, obj=roi, reason="authorization verdict")
        return Response(verdict_data(roi))


class RequestEstimateView(_RequestReadView):
    @extend_schema(responses=EstimateSerializer, operation_id="roi_request_fee_estimate")
    def get(self, request, public_id):
        """The fee estimate before work starts, from the pages asked."""
        roi = self.roi(request, public_id)
        fee = fees.estimate(roi)
        trail.record(Action.READ, obj=roi, reason="fee estimate")
        return Response(
            {
                "pages": fee.pages,
                "lines": [{"label": label, "amount": amount} for label, amount in fee.lines],
                "total": fee.total,
                "note": fee.note,
            }
        )


urlpatterns = [
    path(
        "requests/<uuid:public_id>/verdict/",
        RequestVerdictView.as_view(),
        name="roirequest-verdict",
    ),
    path(
        "requests/<uuid:public_id>/fee-estimate/",
        RequestEstimateView.as_view(),
        name="roirequest-fee-estimate",
    ),
]


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("authorizations", AuthorizationViewSet, basename="authorization")
    router.register("fee-schedules", FeeScheduleViewSet, basename="feeschedule")
    router.register("invoices", InvoiceViewSet, basename="invoice")
