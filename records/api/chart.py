"""API of the chart: identifiers, identifier systems (read-only), providers, encounters."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from him.api.permissions import PolicyPermission
from him.api.viewsets import PHIModelViewSet
from records.api.serializers import (
    PatientBriefSerializer,
    ReachableFacilityField,
    ServiceSaveMixin,
    raise_errors,
)
from records.filters_chart import (
    EncounterFilterSet,
    IdentifierFilterSet,
    IdentifierSystemFilterSet,
    ProviderFilterSet,
)
from records.models import Encounter, IdentifierSystem, Patient, PatientIdentifier, Provider
from records.services import encounter_records
from records.services import patients as patient_services

# Identifier systems -----------------------------------------------------------------------


class IdentifierSystemSerializer(serializers.ModelSerializer):
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = IdentifierSystem
        fields = ["code", "name", "kind", "facility", "active"]


class IdentifierSystemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Namespaces of identifiers (not PHI; kept in the admin)."""

    queryset = IdentifierSystem.objects.select_related("facility")
    serializer_class = IdentifierSystemSerializer
    permission_classes = [PolicyPermission]
    filterset_class = IdentifierSystemFilterSet
    lookup_field = "code"
    lookup_value_regex = r"[^/\x00]+"


# Identifiers ------------------------------------------------------------------------------


class ReachablePatientField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "No patient with enterprise id {value} that you can reach.",
        "invalid": "Give the patient's enterprise id as text.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="enterprise_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Patient.objects.none()
        return Patient.objects.visible_to(request.user, "view")


class SystemField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown identifier system {value}: see /api/v1/records/identifier-systems/.",
        "invalid": "Give the identifier system's code as text, e.g. MRN-MAIN.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=IdentifierSystem.objects.all(), **kwargs)


class IdentifierSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    patient = ReachablePatientField()
    system = SystemField()

    class Meta:
        model = PatientIdentifier
        fields = ["id", "patient", "system", "value", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # identifier_errors names the clash

    def validate(self, attrs):
        request = self.context["request"]
        if self.instance is not None:
            for name in ("patient", "system"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Cannot be changed: remove the identifier and add a new one."]}
                    )
        raise_errors(
            patient_services.identifier_errors(
                user=request.user,
                patient=attrs.get("patient", getattr(self.instance, "patient", None)),
                system=attrs.get("system", getattr(self.instance, "system", None)),
                value=attrs.get("value", getattr(self.instance, "value", "")),
                pk=getattr(self.instance, "pk", None),
            )
        )
        return attrs

    def create(self, validated_data):
        return self.run(
            patient_services.identifier_add, user=self.context["request"].user, **validated_data
        )

    def update(self, instance, validated_data):
        return self.run(
            patient_services.identifier_update,
            user=self.context["request"].user,
            identifier=instance,
            value=validated_data.get("value", instance.value),
        )


class IdentifierViewSet(PHIModelViewSet):
    """A patient's identifiers; filter with ?patient=<enterprise id>."""

    queryset = PatientIdentifier.objects.all()
    serializer_class = IdentifierSerializer
    filterset_class = IdentifierFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("patient", "system")


# Providers --------------------------------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=Provider._meta.get_field("user").related_model.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Provider
        fields = [
            "npi",
            "family_name",
            "given_name",
            "credentials",
            "specialty",
            "user",
            "active",
        ]
        extra_kwargs = {
            "npi": {
                "error_messages": {"unique": "A provider with this NPI already exists."},
            }
        }

    def validate_user(self, value):
        if value is None:
            return value
        taken = Provider.objects.filter(user=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                f"User {value.username} is already linked to another provider."
            )
        return value


class ProviderViewSet(PHIModelViewSet):
    queryset = Provider.objects.all()
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilterSet
    lookup_field = "npi"

    def get_queryset(self):
        return super().get_queryset().select_related("user")


# Encounters -------------------------------------------------------------------------------


class ProviderField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "No active provider with NPI {value}.",
        "invalid": "Give the provider's NPI as text.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="npi", queryset=Provider.objects.filter(active=True), **kwargs)


class EncounterSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    patient = ReachablePatientField()
    patient_brief = PatientBriefSerializer(source="patient", read_only=True)
    facility = ReachableFacilityField(slug_field="code")
    attending = ProviderField(required=False, allow_null=True)
    other_providers = ProviderField(many=True, required=False)
    length_of_stay_days = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Encounter
        fields = [
            "public_id",
            "number",
            "patient",
            "patient_brief",
            "facility",
            "encounter_class",
            "admit_at",
            "discharge_at",
            "admit_source",
            "discharge_disposition",
            "attending",
            "other_providers",
            "service_line",
            "surgery_at",
            "status",
            "length_of_stay_days",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["public_id", "created_at", "updated_at"]
        validators = []  # encounter_errors names the visit number clash

    def validate(self, attrs):
        moved = "patient" in attrs and attrs["patient"] != getattr(self.instance, "patient", None)
        if self.instance is not None and moved:
            raise serializers.ValidationError(
                {"patient": ["An encounter cannot move to another patient."]}
            )

        def current(name, default=None):
            return attrs.get(name, getattr(self.instance, name, default))

        raise_errors(
            encounter_records.encounter_errors(
                user=self.context["request"].user,
                facility=current("facility"),
                patient=current("patient"),
                number=current("number", ""),
                admit_at=current("admit_at"),
                discharge_at=current("discharge_at"),
                status=current("status", Encounter.Status.ADMITTED),
                discharge_disposition=current("discharge_disposition", "") or "",
                pk=getattr(self.instance, "pk", None),
            )
        )
        return attrs

    def create(self, validated_data):
        others = validated_data.pop("other_providers", None)
        return self.run(
            encounter_records.encounter_save,
            encounter=Encounter(**validated_data),
            user=self.context["request"].user,
            other_providers=others,
        )

    def update(self, instance, validated_data):
        others = validated_data.pop("other_providers", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.run(
            encounter_records.encounter_save,
            encounter=instance,
            user=self.context["request"].user,
            other_providers=others,
        )


class DischargeSerializer(serializers.Serializer):
    discharge_at = serializers.DateTimeField()
    discharge_disposition = serializers.ChoiceField(choices=Encounter.Disposition.choices)


class EncounterViewSet(PHIModelViewSet):
    queryset = Encounter.objects.all()
    serializer_class = EncounterSerializer
    filterset_class = EncounterFilterSet
    lookup_field = "public_id"
    ordering_fields = ["admit_at", "discharge_at", "number"]
    policy_actions = {"discharge": "change"}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("patient", "facility", "attending")
            .prefetch_related("other_providers")
        )

    @extend_schema(request=DischargeSerializer, responses=EncounterSerializer)
    @action(detail=True, methods=["post"])
    def discharge(self, request, public_id=None):
        """Discharge an admitted encounter (time and UB-04 disposition)."""
        encounter = self.get_object()
        body = DischargeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        serializer = self.get_serializer(encounter)
        serializer.run(
            self._discharge,
            encounter=encounter,
            discharge_at=body.validated_data["discharge_at"],
            disposition=body.validated_data["discharge_disposition"],
        )
        return Response(self.get_serializer(encounter).data)

    def _discharge(self, *, encounter, discharge_at, disposition):
        from django.db import transaction

        from him import policy, trail
        from him.api.viewsets import OutOfReachError

        with transaction.atomic():
            encounter_records.encounter_discharge(
                encounter=encounter,
                user=self.request.user,
                discharge_at=discharge_at,
                disposition=disposition,
            )
            if not policy.can(self.request.user, "view", encounter):
                raise OutOfReachError()
            trail.record(trail.Action.UPDATE, obj=encounter, detail={"action": "discharge"})
        return encounter


SSN_RESPONSE = inline_serializer(
    "PatientSSN", fields={"enterprise_id": serializers.CharField(), "ssn": serializers.CharField()}
)


class PatientSSNMixin:
    """The ``ssn`` action of the patient endpoint: full SSN for records.view_ssn, trailed."""

    @extend_schema(request=None, responses=SSN_RESPONSE)
    @action(detail=True, methods=["get"])
    def ssn(self, request, enterprise_id=None):
        patient = self.get_object()
        try:
            ssn = patient_services.patient_ssn_reveal(patient=patient, user=request.user)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"enterprise_id": patient.enterprise_id, "ssn": ssn})
