"""API of the coding workspace: an encounter's whole code set, validate, group,
finalize and reopen.

    GET  /api/v1/coding/encounters/<encounter public_id>/            the codes
    PUT  /api/v1/coding/encounters/<encounter public_id>/            replace them (a draft)
    POST /api/v1/coding/encounters/<encounter public_id>/validate/   edits
    POST /api/v1/coding/encounters/<encounter public_id>/group/      MS-DRG, CC/MCC, what-if
    POST /api/v1/coding/encounters/<encounter public_id>/finalize/
    POST /api/v1/coding/encounters/<encounter public_id>/reopen/

validate and group read the saved codes, or the codes in the body when it has
any (what a coder has on screen and not yet saved: nothing is written).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coding.api.edits import EditSerializer  # one schema component for an edit
from coding.models import CodeSystem, EncounterCoding
from coding.services import grouping
from coding.services import workspace as ws
from coding.workspace_access import coding_by_encounter
from him import context, trail
from him.api.permissions import PolicyPermission

# Serializers -------------------------------------------------------------------------------


class DiagnosisSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=10, help_text="ICD-10-CM, with or without the dot")
    dotted = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    poa = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="Y, N, U, W or 1 (inpatient)"
    )


class ProcedureSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=10, help_text="ICD-10-PCS")
    title = serializers.CharField(read_only=True)
    performed_on = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="YYYY-MM-DD"
    )
    provider = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Performing provider's NPI"
    )


class ServiceLineSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=10, help_text="CPT or HCPCS")
    title = serializers.CharField(read_only=True)
    modifiers = serializers.ListField(
        child=serializers.CharField(max_length=4), required=False, max_length=10
    )
    units = serializers.IntegerField(required=False, min_value=1, default=1)
    pointers = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=10,
        help_text="1-based sequences of the diagnoses this line is for",
    )
    service_date = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    provider = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class CodesSerializer(serializers.Serializer):
    """The whole code set of an encounter."""

    encounter = serializers.UUIDField(read_only=True)
    coding = serializers.UUIDField(read_only=True, help_text="The workspace's id")
    status = serializers.CharField(read_only=True)
    version = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The version you read; a save against a newer version is refused (409)",
    )
    admitting_dx = serializers.CharField(required=False, allow_blank=True, max_length=10)
    reason_for_visit = serializers.CharField(required=False, allow_blank=True, max_length=10)
    diagnoses = DiagnosisSerializer(many=True, required=False, max_length=200)
    procedures = ProcedureSerializer(many=True, required=False, max_length=200)
    services = ServiceLineSerializer(many=True, required=False, max_length=200)
    working_drg = serializers.CharField(read_only=True)
    working_weight = serializers.CharField(read_only=True, allow_null=True)
    final_drg = serializers.CharField(read_only=True)
    final_weight = serializers.CharField(read_only=True, allow_null=True)
    grouper_version = serializers.IntegerField(read_only=True, allow_null=True)
    finalized_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopen_reason = serializers.CharField(read_only=True)
    pending_reason = serializers.CharField(read_only=True)


class ValidateRequestSerializer(CodesSerializer):
    pass


class ValidateResponseSerializer(serializers.Serializer):
    edits = EditSerializer(many=True)
    errors = serializers.IntegerField(help_text="How many edits block finalizing")
    warnings = serializers.IntegerField()


class ChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["add", "remove", "principal"])
    kind = serializers.ChoiceField(choices=["dx", "px"], default="dx", required=False)
    code = serializers.CharField(max_length=10)
    poa = serializers.CharField(max_length=1, required=False, allow_blank=True)


class GroupRequestSerializer(CodesSerializer):
    what_if = ChangeSerializer(many=True, required=False, max_length=60)
    suggest = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also answer, for each secondary diagnosis, removing it and making it principal",
    )


class SecondarySerializer(serializers.Serializer):
    code = serializers.CharField()
    sequence = serializers.IntegerField()
    severity = serializers.CharField(help_text="The code's own level: NONE, CC, MCC")
    acts_as = serializers.CharField(help_text='"CC", "MCC" or "" on this claim')
    excluded = serializers.BooleanField(help_text="A CC/MCC excluded by the principal diagnosis")
    drg_impact = serializers.CharField()


class WhatIfSerializer(serializers.Serializer):
    change = ChangeSerializer()
    drg = serializers.CharField()
    title = serializers.CharField()
    weight = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    ok = serializers.BooleanField()
    drg_changes = serializers.BooleanField()
    weight_delta = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)


class GroupResponseSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    return_code = serializers.CharField()
    version = serializers.IntegerField(help_text="Grouper version, e.g. 431 for v43.1")
    version_label = serializers.CharField()
    drg = serializers.CharField()
    mdc = serializers.CharField()
    title = serializers.CharField()
    mdc_title = serializers.CharField()
    type = serializers.CharField()
    weight = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    gmlos = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    amlos = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    weight_source = serializers.CharField()
    severity = serializers.CharField()
    secondary = SecondarySerializer(many=True)
    cc = serializers.ListField(child=serializers.CharField())
    mcc = serializers.ListField(child=serializers.CharField())
    excluded = serializers.ListField(child=serializers.CharField())
    what_if = WhatIfSerializer(many=True)


class FinalizeRequestSerializer(serializers.Serializer):
    version = serializers.CharField(required=False, allow_blank=True)


class ReopenRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


FINALIZE_BLOCKED = inline_serializer(
    "CodingFinalizeBlocked",
    {
        "error": inline_serializer(
            "CodingFinalizeBlockedError",
            {
                "status": serializers.IntegerField(),
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "edits": EditSerializer(many=True),
                "problems": serializers.ListField(child=serializers.CharField()),
            },
        )
    },
)

# Output -----------------------------------------------------------------------------------


def _dec(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.0001")))


def codes_payload(coding: EncounterCoding) -> dict:
    data = ws.input_of(coding)
    titles = _titles(coding, data)
    return {
        "encounter": coding.encounter.public_id,
        "coding": coding.public_id,
        "status": coding.status,
        "version": data.version,
        "admitting_dx": data.admitting_dx,
        "reason_for_visit": data.reason_for_visit,
        "diagnoses": [
            {
                "sequence": i,
                "code": d["code"].replace(".", ""),
                "dotted": d["code"],
                "title": titles.get(d["code"].replace(".", ""), ""),
                "poa": d["poa"],
            }
            for i, d in enumerate(data.diagnoses, start=1)
        ],
        "procedures": [
            {"sequence": i, **p, "title": titles.get(p["code"], "")}
            for i, p in enumerate(data.procedures, start=1)
        ],
        "services": [
            {
                "sequence": i,
                "code": s["code"],
                "title": titles.get(s["code"], ""),
                "modifiers": [m for m in s["modifiers"].split(",") if m],
                "units": int(s["units"]),
                "pointers": [int(p) for p in s["pointers"].split(",") if p],
                "service_date": s["service_date"],
                "provider": s["provider"],
            }
            for i, s in enumerate(data.services, start=1)
        ],
        "working_drg": coding.working_drg,
        "working_weight": _dec(coding.working_weight),
        "final_drg": coding.final_drg,
        "final_weight": _dec(coding.final_weight),
        "grouper_version": coding.grouper_version,
        "finalized_at": coding.finalized_at,
        "reopen_reason": coding.reopen_reason,
        "pending_reason": coding.pending_reason,
    }


def _titles(coding: EncounterCoding, data: ws.CodesInput) -> dict[str, str]:
    from coding.models import Code, CodeSet

    on = (coding.encounter.discharge_at or coding.encounter.admit_at).date()
    codes = {
        r["code"].replace(".", "") for r in [*data.diagnoses, *data.procedures, *data.services]
    }
    if not codes:
        return {}
    sets = [
        cs
        for s in (CodeSystem.ICD10CM, CodeSystem.ICD10PCS, CodeSystem.CPT, CodeSystem.HCPCS)
        if (cs := CodeSet.for_date(s, on)) is not None
    ]
    return dict(Code.objects.filter(code_set__in=sets, code__in=codes).values_list("code", "title"))


def _input(request, coding: EncounterCoding) -> ws.CodesInput | None:
    """The codes in the request body, or None when the body carries no codes."""
    body = request.data if isinstance(request.data, dict) else {}
    keys = ("diagnoses", "procedures", "services", "admitting_dx", "reason_for_visit")
    if not any(k in body for k in keys):
        return None
    return ws.input_from_data(body)


def _bad_input(exc: ws.InputErrors) -> exceptions.ValidationError:
    return exceptions.ValidationError(exc.errors)


def _conflict(message: str) -> exceptions.APIException:
    error = exceptions.APIException(message)
    error.status_code = 409
    error.default_code = "conflict"
    return error


def _check_shape(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if isinstance(request.data, dict) else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Views ------------------------------------------------------------------------------------


class _Base(APIView):
    permission_classes = [PolicyPermission]
    policy_model = EncounterCoding
    action = "view"
    policy_actions = {"view": "view", "change": "change"}

    def perform_authentication(self, request):
        super().perform_authentication(request)
        context.bind_user(request.user)

    def coding(self, public_id, action: str = "view") -> EncounterCoding:
        return coding_by_encounter(self.request.user, public_id, action)


class EncounterCodesView(_Base):
    def get_permissions(self):
        self.action = "view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change"
        return super().get_permissions()

    @extend_schema(responses=CodesSerializer, summary="An encounter's codes")
    def get(self, request, public_id):
        coding = self.coding(public_id)
        trail.record(trail.Action.READ, obj=coding)
        return Response(codes_payload(coding))

    @extend_schema(
        request=CodesSerializer,
        responses={200: CodesSerializer, 409: None},
        summary="Replace an encounter's codes (save a draft)",
    )
    def put(self, request, public_id):
        coding = self.coding(public_id, "change")
        _check_shape(CodesSerializer, request)
        data = ws.input_from_data(request.data)
        try:
            coding = ws.encounter_coding_save(coding=coding, data=data, user=request.user)
        except ws.InputErrors as exc:
            raise _bad_input(exc) from None
        except ws.Conflict as exc:
            raise _conflict(str(exc)) from None
        except ws.WorkspaceError as exc:
            raise _conflict(str(exc)) from None
        return Response(codes_payload(coding))


class ValidateView(_Base):
    @extend_schema(
        request=ValidateRequestSerializer,
        responses=ValidateResponseSerializer,
        summary="Run the coding edits on the saved codes, or on the codes sent",
    )
    def post(self, request, public_id):
        coding = self.coding(public_id)
        _check_shape(ValidateRequestSerializer, request)
        data = _input(request, coding)
        try:
            claim = ws.claim_with(coding, ws.parse_input(coding, data)) if data else None
        except ws.InputErrors as exc:
            raise _bad_input(exc) from None
        found = ws.encounter_coding_validate(coding=coding, claim=claim)
        trail.record(
            trail.Action.READ,
            obj=coding,
            detail={"op": "validate"},
        )
        errors = sum(1 for e in found if e.blocks)
        return Response(
            {
                "edits": [e.as_dict() for e in found],
                "errors": errors,
                "warnings": len(found) - errors,
            }
        )


class GroupView(_Base):
    @extend_schema(
        request=GroupRequestSerializer,
        responses=GroupResponseSerializer,
        summary="Group with MS-DRG (saved codes, or the codes sent), with what-ifs",
    )
    def post(self, request, public_id):
        coding = self.coding(public_id)
        shape = _check_shape(GroupRequestSerializer, request)
        data = _input(request, coding)
        try:
            claim = ws.claim_with(coding, ws.parse_input(coding, data)) if data else None
            result = ws.encounter_coding_group(
                coding=coding,
                claim=claim,
                what_ifs=[dict(c) for c in shape.get("what_if") or []],
                suggest=shape.get("suggest", False),
            )
        except ws.InputErrors as exc:
            raise _bad_input(exc) from None
        except grouping.GroupingError as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
        trail.record(
            trail.Action.READ,
            obj=coding,
            detail={"op": "group", "drg": result["drg"]},
        )
        return Response(GroupResponseSerializer(result).data)


class FinalizeView(_Base):
    action = "change"

    @extend_schema(
        request=FinalizeRequestSerializer,
        responses={200: CodesSerializer, 409: FINALIZE_BLOCKED},
        summary="Finalize (lock) the codes and keep the final DRG",
    )
    def post(self, request, public_id):
        coding = self.coding(public_id, "change")
        shape = _check_shape(FinalizeRequestSerializer, request)
        try:
            coding = ws.encounter_coding_finalize(
                coding=coding, user=request.user, version=shape.get("version", "")
            )
        except ws.FinalizeBlocked as exc:
            return Response(
                {
                    "error": {
                        "status": 409,
                        "code": "finalize_blocked",
                        "message": str(exc),
                        "edits": [e.as_dict() for e in exc.edits],
                        "problems": [*exc.problems]
                        + ([exc.grouping_problem] if exc.grouping_problem else []),
                    }
                },
                status=409,
            )
        except ws.WorkspaceError as exc:
            raise _conflict(str(exc)) from None
        return Response(codes_payload(coding))


class ReopenView(_Base):
    action = "change"

    @extend_schema(
        request=ReopenRequestSerializer,
        responses={200: CodesSerializer},
        summary="Reopen final codes (a reason is required)",
    )
    def post(self, request, public_id):
        coding = self.coding(public_id, "change")
        shape = _check_shape(ReopenRequestSerializer, request)
        try:
            coding = ws.encounter_coding_reopen(
                coding=coding, user=request.user, reason=shape.get("reason", "")
            )
        except ws.InputErrors as exc:
            raise _bad_input(exc) from None
        except ws.WorkspaceError as exc:
            raise _conflict(str(exc)) from None
        return Response(codes_payload(coding))


_KEY = "encounters/<str:public_id>/"

urlpatterns = [
    path(_KEY, EncounterCodesView.as_view(), name="encounter-codes"),
    path(f"{_KEY}validate/", ValidateView.as_view(), name="encounter-codes-validate"),
    path(f"{_KEY}group/", GroupView.as_view(), name="encounter-codes-group"),
    path(f"{_KEY}finalize/", FinalizeView.as_view(), name="encounter-codes-finalize"),
    path(f"{_KEY}reopen/", ReopenView.as_view(), name="encounter-codes-reopen"),
]


def register(router) -> None:
    """The workspace has no viewsets: its endpoints are the paths above."""
