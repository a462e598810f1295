"""API of the release part: releases and deliveries, disclosures, suspensions, and
requests for an accounting. Rules live in ``services.release`` and ``services.disclosures``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from him import policy, trail
from him.api.fields import VisibleSlugField
from him.api.reports import DownloadRenderer
from him.api.viewsets import OutOfReachError, PHIListCreateRetrieveViewSet, PHIReadOnlyViewSet
from records.api.serializers import PatientBriefSerializer
from records.models import Patient
from release_of_info.models import (
    AccountingRequest,
    AccountingSuspension,
    Delivery,
    Disclosure,
    ROIRequest,
)
from release_of_info.models.release import DEFAULT_LINK_DAYS, DEFAULT_LINK_DOWNLOADS
from release_of_info.services import disclosures as accounting
from release_of_info.services import release as services

urlpatterns: list = []


class VisiblePatientField(VisibleSlugField):
    queryset = Patient.objects.none()


class VisibleRequestField(VisibleSlugField):
    queryset = ROIRequest.objects.none()


# Deliveries ----------------------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    request = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True)
    packet = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    packet_sha256 = serializers.CharField(source="packet.sha256", read_only=True)
    has_passcode = serializers.BooleanField(read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "public_id",
            "request",
            "request_number",
            "packet",
            "packet_sha256",
            "method",
            "recipient",
            "expires_at",
            "max_downloads",
            "download_count",
            "last_download_at",
            "has_passcode",
            "revoked_at",
            "revoked_reason",
            "mailed_on",
            "carrier",
            "tracking_number",
            "created_at",
            "state",
        ]
        read_only_fields = fields

    def get_state(self, obj) -> str:
        from django.utils import timezone

        return obj.link_state(timezone.now()) or (
            "active" if obj.method == Delivery.Method.SECURE_LINK else "mailed"
        )


class ReleaseSerializer(serializers.Serializer):
    request = VisibleRequestField(slug_field="public_id")
    method = serializers.ChoiceField(choices=Delivery.Method.choices)
    link_days = serializers.IntegerField(default=DEFAULT_LINK_DAYS, min_value=1, max_value=90)
    max_downloads = serializers.IntegerField(
        default=DEFAULT_LINK_DOWNLOADS, min_value=1, max_value=20
    )
    passcode = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    mailed_on = serializers.DateField(required=False, allow_null=True, default=None)
    carrier = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    tracking_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=60
    )


class NewLinkSerializer(serializers.Serializer):
    request = VisibleRequestField(slug_field="public_id")
    link_days = serializers.IntegerField(default=DEFAULT_LINK_DAYS, min_value=1, max_value=90)
    max_downloads = serializers.IntegerField(
        default=DEFAULT_LINK_DOWNLOADS, min_value=1, max_value=20
    )
    passcode = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class ReleasedSerializer(serializers.Serializer):
    delivery = DeliverySerializer()
    link = serializers.CharField(
        allow_blank=True, help_text="The secure link: returned once, never stored or shown again"
    )


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class DeliveryViewSet(PHIReadOnlyViewSet):
    """Deliveries of released packets. POST releases a request's approved packet."""

    queryset = Delivery.objects.all()
    serializer_class = DeliverySerializer
    lookup_field = "public_id"
    policy_actions = {"release": "add", "new_link": "add", "revoke": "change"}

    def get_queryset(self):
        queryset = super().get_queryset().select_related("request", "packet")
        number = self.request.query_params.get("request")
        if number:
            queryset = queryset.filter(request__number=number)
        return queryset

    def _released(self, request, result: services.Released, code=status.HTTP_201_CREATED):
        link = (
            request.build_absolute_uri(reverse("release_of_info:link", args=[result.token]))
            if result.token
            else ""
        )
        data = {
            "delivery": DeliverySerializer(result.delivery, context={"request": request}).data,
            "link": link,
        }
        return Response(data, status=code)

    def _guard(self, fn, roi, **kwargs):
        try:
            with transaction.atomic():
                return fn(roi=roi, user=self.request.user, **kwargs)
        except PermissionDenied as exc:
            trail.record(
                trail.Action.DENIED, obj=roi, outcome=trail.Outcome.DENIED, reason=str(exc)
            )
            raise exceptions.PermissionDenied(str(exc)) from None

    @extend_schema(request=ReleaseSerializer, responses={201: ReleasedSerializer})
    @action(detail=False, methods=["post"])
    def release(self, request):
        """Release the request's approved packet by secure link or mail.

        Refused unless a second person approved the packet, the release checks
        (the authorization) pass and the packet still matches its SHA-256."""
        incoming = ReleaseSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        roi = data.pop("request")
        return self._released(request, self._guard(services.roi_release, roi, **data))

    @extend_schema(request=NewLinkSerializer, responses={201: ReleasedSerializer})
    @action(detail=False, methods=["post"], url_path="new-link")
    def new_link(self, request):
        """A new secure link to a released packet; earlier links stop working."""
        incoming = NewLinkSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        roi = data.pop("request")
        return self._released(request, self._guard(services.delivery_new_link, roi, **data))

    @extend_schema(request=RevokeSerializer, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, public_id=None):
        """Stop a secure link from working."""
        delivery = self.get_object()
        incoming = RevokeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            services.delivery_revoke(
                delivery=delivery, user=request.user, reason=incoming.validated_data["reason"]
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery, context={"request": request}).data)


# Disclosures and the accounting --------------------------------------------------------


class DisclosureSerializer(serializers.ModelSerializer):
    patient = PatientBriefSerializer(read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True, default="")

    class Meta:
        model = Disclosure
        fields = [
            "public_id",
            "patient",
            "source",
            "request_number",
            "disclosed_on",
            "recipient_name",
            "recipient_address",
            "description",
            "purpose",
            "basis",
            "created_at",
        ]
        read_only_fields = fields


class DisclosureCreateSerializer(serializers.Serializer):
    patient = VisiblePatientField(slug_field="enterprise_id")
    disclosed_on = serializers.DateField()
    recipient_name = serializers.CharField(max_length=200)
    recipient_address = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField()
    purpose = serializers.CharField()
    basis = serializers.ChoiceField(choices=Disclosure.Basis.choices)


def _checked_create(viewset, service, data):
    """Create through the service; roll back a result the caller could not see."""
    try:
        with transaction.atomic():
            obj = service(user=viewset.request.user, **data)
            if not policy.can(viewset.request.user, "view", obj):
                raise OutOfReachError()
    except OutOfReachError:
        trail.record(
            trail.Action.DENIED,
            object_type=viewset._label(),
            outcome=trail.Outcome.DENIED,
            reason="write would leave the object outside the user's reach; rolled back",
        )
        raise
    return obj


class DisclosureViewSet(PHIListCreateRetrieveViewSet, mixins.DestroyModelMixin):
    """The accounting of disclosures: entries written by releases or entered by hand.

    No role may delete an entry; the endpoint exists for a permission granted by
    hand, like every PHI endpoint."""

    queryset = Disclosure.objects.all()
    serializer_class = DisclosureSerializer
    lookup_field = "public_id"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("patient", "request")
        params = self.request.query_params
        if params.get("patient"):
            queryset = queryset.filter(patient__enterprise_id=params["patient"])
        if params.get("date_from"):
            queryset = queryset.filter(disclosed_on__gte=params["date_from"])
        if params.get("date_to"):
            queryset = queryset.filter(disclosed_on__lte=params["date_to"])
        return queryset

    def list(self, request, *args, **kwargs):
        for key in ("date_from", "date_to"):
            value = request.query_params.get(key)
            if value:
                try:
                    serializers.DateField().to_internal_value(value)
                except serializers.ValidationError:
                    raise exceptions.ValidationError(
                        {key: ["Give a date as YYYY-MM-DD."]}
                    ) from None
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DisclosureCreateSerializer, responses={201: DisclosureSerializer})
    def create(self, request, *args, **kwargs):
        """Record a disclosure made outside ROI (public health, law enforcement, ...)."""
        incoming = DisclosureCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        obj = _checked_create(self, accounting.disclosure_record, dict(incoming.validated_data))
        return Response(DisclosureSerializer(obj).data, status=status.HTTP_201_CREATED)


class SuspensionSerializer(serializers.ModelSerializer):
    patient = PatientBriefSerializer(read_only=True)

    class Meta:
        model = AccountingSuspension
        fields = [
            "id",
            "patient",
            "agency",
            "official",
            "form",
            "reason",
            "starts_on",
            "ends_on",
            "created_at",
        ]
        read_only_fields = fields


class SuspensionCreateSerializer(serializers.Serializer):
    patient = VisiblePatientField(slug_field="enterprise_id")
    agency = serializers.CharField(max_length=200)
    official = serializers.CharField(required=False, allow_blank=True, default="")
    form = serializers.ChoiceField(
        choices=AccountingSuspension.Form.choices, default=AccountingSuspension.Form.WRITTEN
    )
    reason = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class SuspensionViewSet(PHIListCreateRetrieveViewSet):
    """Suspensions of the accounting asked by an oversight agency or law enforcement."""

    queryset = AccountingSuspension.objects.all()
    serializer_class = SuspensionSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("patient")

    @extend_schema(request=SuspensionCreateSerializer, responses={201: SuspensionSerializer})
    def create(self, request, *args, **kwargs):
        incoming = SuspensionCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        obj = _checked_create(self, accounting.suspension_record, dict(incoming.validated_data))
        return Response(SuspensionSerializer(obj).data, status=status.HTTP_201_CREATED)


class AccountingRequestSerializer(serializers.ModelSerializer):
    patient = PatientBriefSerializer(read_only=True)
    effective_due_on = serializers.DateField(read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = AccountingRequest
        fields = [
            "public_id",
            "patient",
            "requester_name",
            "received_on",
            "period_start",
            "due_on",
            "extended_due_on",
            "effective_due_on",
            "extension_notice_on",
            "extension_reason",
            "status",
            "fee",
            "fee_note",
            "provided_on",
            "entries",
            "withheld",
            "has_file",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)


class AccountingRequestCreateSerializer(serializers.Serializer):
    patient = VisiblePatientField(slug_field="enterprise_id")
    requester_name = serializers.CharField(max_length=200)
    received_on = serializers.DateField()
    period_start = serializers.DateField(required=False, allow_null=True, default=None)


class AccountingExtendSerializer(serializers.Serializer):
    notice_on = serializers.DateField()
    reason = serializers.CharField()


class AccountingWithdrawSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AccountingRequestViewSet(PHIListCreateRetrieveViewSet):
    """Requests for an accounting of disclosures: 60-day clock, one extension, fee rule."""

    queryset = AccountingRequest.objects.all()
    serializer_class = AccountingRequestSerializer
    lookup_field = "public_id"
    policy_actions = {"extend": "change", "withdraw": "change", "provide": "change", "pdf": "view"}

    def get_queryset(self):
        return super().get_queryset().select_related("patient")

    def _out(self, obj):
        obj.refresh_from_db()
        return Response(AccountingRequestSerializer(obj).data)

    @extend_schema(
        request=AccountingRequestCreateSerializer, responses={201: AccountingRequestSerializer}
    )
    def create(self, request, *args, **kwargs):
        incoming = AccountingRequestCreateSerializer(
            data=request.data, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        obj = _checked_create(
            self, accounting.accounting_request_receive, dict(incoming.validated_data)
        )
        return Response(AccountingRequestSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccountingExtendSerializer, responses=AccountingRequestSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, public_id=None):
        """The one 30-day extension, with a written notice dated before the due date."""
        obj = self.get_object()
        incoming = AccountingExtendSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        accounting.accounting_request_extend(
            request=obj, user=request.user, **incoming.validated_data
        )
        return self._out(obj)

    @extend_schema(request=AccountingWithdrawSerializer, responses=AccountingRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, public_id=None):
        obj = self.get_object()
        incoming = AccountingWithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        accounting.accounting_request_withdraw(
            request=obj, user=request.user, **incoming.validated_data
        )
        return self._out(obj)

    @extend_schema(request=None, responses=AccountingRequestSerializer)
    @action(detail=True, methods=["post"])
    def provide(self, request, public_id=None):
        """Produce the accounting (PDF) and close the request."""
        obj = self.get_object()
        accounting.accounting_provide(request=obj, user=request.user)
        return self._out(obj)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def pdf(self, request, public_id=None):
        """The accounting as provided (PDF); an export in the trail."""
        obj = self.get_object()
        try:
            handle = accounting.accounting_open(request=obj, user=request.user)
        except FileNotFoundError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename="accounting-of-disclosures.pdf",
            content_type="application/pdf",
        )


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("deliveries", DeliveryViewSet, basename="delivery")
    router.register("disclosures", DisclosureViewSet, basename="disclosure")
    router.register("accounting-suspensions", SuspensionViewSet, basename="accountingsuspension")
    router.register("accounting-requests", AccountingRequestViewSet, basename="accountingrequest")
