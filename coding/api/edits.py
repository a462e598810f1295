"""API of the edits part: the edit catalog and a what-would-fail validator.

``POST /api/v1/coding/validate/`` checks a claim posted as JSON against the
edits without reading or writing any patient row: a coder's scratch pad (and
what other systems call before they send codes). Saved encounters are
validated by the workspace with ``coding.edits.run(claim_of(coding))``.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coding import edits as engine
from coding.claim import Claim, Dx, Px, Service, age_on
from coding.edits.catalog import entries
from coding.models import MAX_DIAGNOSES, MAX_PROCEDURES, Code
from him.api.permissions import PolicyPermission
from records.models import Encounter, Patient

MAX_SERVICES = 50


class CatalogEntrySerializer(serializers.Serializer):
    id = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    title = serializers.CharField()
    rule = serializers.CharField()
    area = serializers.ChoiceField(choices=["diagnosis", "procedure", "service", "claim"])


class EditSerializer(serializers.Serializer):
    id = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    message = serializers.CharField()
    rule = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField())
    line = serializers.CharField(help_text='"dx:2", "px:1", "svc:3", "admitting" or ""')
    suggestions = serializers.ListField(child=serializers.CharField())


class DiagnosisInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10, help_text="ICD-10-CM, with or without the dot")
    poa = serializers.CharField(max_length=1, required=False, allow_blank=True, default="")


class ProcedureInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10, help_text="ICD-10-PCS")
    performed_on = serializers.DateField(required=False, allow_null=True, default=None)


class ServiceInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=10, help_text="CPT or HCPCS")
    modifiers = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, default=list, max_length=4
    )
    units = serializers.IntegerField(min_value=1, max_value=99999, required=False, default=1)
    pointers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=99),
        required=False,
        default=list,
        max_length=12,
        help_text="1-based positions in `diagnoses`",
    )
    service_date = serializers.DateField(required=False, allow_null=True, default=None)


class ValidateSerializer(serializers.Serializer):
    encounter_class = serializers.ChoiceField(
        choices=Encounter.Class.choices, default=Encounter.Class.INPATIENT
    )
    discharge_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Chooses the code sets"
    )
    admit_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, default=Patient.Sex.UNKNOWN)
    age = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    disposition = serializers.CharField(
        max_length=2, required=False, allow_blank=True, default="01", help_text="UB-04 status"
    )
    admitting_dx = serializers.CharField(max_length=10, required=False, allow_blank=True)
    reason_for_visit = serializers.CharField(max_length=10, required=False, allow_blank=True)
    diagnoses = DiagnosisInSerializer(many=True, required=False, default=list)
    procedures = ProcedureInSerializer(many=True, required=False, default=list)
    services = ServiceInSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        admit, discharge = attrs.get("admit_date"), attrs.get("discharge_date")
        if not admit and not discharge:
            raise serializers.ValidationError(
                {"discharge_date": ["Give the discharge date (it chooses the code sets)."]}
            )
        if admit and discharge and admit > discharge:
            raise serializers.ValidationError(
                {"admit_date": ["The admission date is after the discharge date."]}
            )
        if attrs.get("age") is None and not attrs.get("birth_date"):
            raise serializers.ValidationError({"age": ["Give the age or the birth date."]})
        birth = attrs.get("birth_date")
        if birth and birth > (admit or discharge):
            raise serializers.ValidationError({"birth_date": ["Born after the admission?"]})
        if len(attrs["diagnoses"]) > MAX_DIAGNOSES:
            raise serializers.ValidationError(
                {"diagnoses": [f"At most {MAX_DIAGNOSES} diagnoses (principal + 24)."]}
            )
        if len(attrs["procedures"]) > MAX_PROCEDURES:
            raise serializers.ValidationError(
                {"procedures": [f"At most {MAX_PROCEDURES} procedures."]}
            )
        if len(attrs["services"]) > MAX_SERVICES:
            raise serializers.ValidationError(
                {"services": [f"At most {MAX_SERVICES} service lines."]}
            )
        return attrs

    def claim(self) -> Claim:
        v = self.validated_data
        admit: dt.date = v.get("admit_date") or v["discharge_date"]
        age = v.get("age")
        if age is None:
            age = age_on(v["birth_date"], admit)
        return Claim(
            inpatient=v["encounter_class"] == Encounter.Class.INPATIENT,
            encounter_class=v["encounter_class"],
            sex=v["sex"],
            age=age,
            admit_date=admit,
            discharge_date=v.get("discharge_date"),
            disposition=v.get("disposition") or "",
            diagnoses=tuple(
                Dx(code=d["code"], poa=d.get("poa", ""), sequence=i)
                for i, d in enumerate(v["diagnoses"], start=1)
            ),
            procedures=tuple(
                Px(code=p["code"], performed_on=p.get("performed_on"), sequence=i)
                for i, p in enumerate(v["procedures"], start=1)
            ),
            services=tuple(
                Service(
                    code=s["code"],
                    modifiers=tuple(m.upper() for m in s["modifiers"]),
                    units=s["units"],
                    pointers=tuple(s["pointers"]),
                    service_date=s.get("service_date"),
                    sequence=i,
                )
                for i, s in enumerate(v["services"], start=1)
            ),
            admitting_dx=v.get("admitting_dx", ""),
            reason_for_visit=v.get("reason_for_visit", ""),
        )


def string_keys(errors):
    """DRF keys the errors of list items by their int index, which the JSON renderer
    refuses; name them by their 1-based position instead ("services": {"2": ...})."""
    if isinstance(errors, dict):
        return {
            (str(k + 1) if isinstance(k, int) else k): string_keys(v) for k, v in errors.items()
        }
    if isinstance(errors, list):
        return [string_keys(v) for v in errors]
    return errors


class _CodeSetReader(APIView):
    """Reference data (no PHI): anyone who may view codes."""

    permission_classes = [PolicyPermission]
    policy_model = Code
    action = "read"
    policy_actions = {"read": "view"}


class EditCatalogView(_CodeSetReader):
    @extend_schema(
        operation_id="coding_edits_catalog",
        responses=CatalogEntrySerializer(many=True),
        summary="Every edit the engine raises: id, severity, title, rule source",
    )
    def get(self, request):
        return Response(CatalogEntrySerializer(entries(), many=True).data)


class ValidateView(_CodeSetReader):
    @extend_schema(
        operation_id="coding_validate",
        request=ValidateSerializer,
        responses=inline_serializer(
            "ValidateResult",
            {
                "blocking": serializers.IntegerField(help_text="Edits that block finalizing"),
                "edits": EditSerializer(many=True),
            },
        ),
        summary="Check codes against the edits without saving anything",
    )
    def post(self, request):
        data = ValidateSerializer(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(string_keys(data.errors))
        found = engine.run(data.claim())
        return Response(
            {
                "blocking": sum(1 for e in found if e.blocks),
                "edits": [e.as_dict() for e in found],
            }
        )


urlpatterns: list = [
    path("edits/", EditCatalogView.as_view(), name="edit-catalog"),
    path("validate/", ValidateView.as_view(), name="validate"),
]


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
