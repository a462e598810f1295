"""API of the queue part: the DNFB queue (list, assign, next chart, pending
reason), physician queries (create, change a draft, send, cancel, answer) and
the query templates.

Choice fields are documented as text with their values in the help text: the
model names ``status``/``kind`` are shared with other apps' enums.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.queue_filters import DnfbFilterSet, PhysicianQueryFilterSet
from coding.services import queue as services
from coding.services import queue_queries as queries
from coding.services.encounters import coding_for
from him import context, trail
from him.api.permissions import PolicyPermission
from him.api.viewsets import PHIModelViewSet
from him.models import User
from records.models import Encounter, Provider

urlpatterns: list = []


def _service(fn, **kwargs):
    """A service's ValidationError as a 400 naming the fields; PermissionDenied as 403."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from None


# The queue --------------------------------------------------------------------------------


class DnfbRowSerializer(serializers.Serializer):
    encounter = serializers.CharField(source="public_ref", help_text="The encounter's public id")
    number = serializers.CharField(help_text="Visit/account number")
    facility = serializers.CharField(source="facility.code")
    encounter_class = serializers.CharField(help_text="inpatient, outpatient, emergency, ...")
    patient = serializers.CharField(source="patient.enterprise_id")
    discharge_at = serializers.DateTimeField()
    days_since_discharge = serializers.SerializerMethodField()
    coding = serializers.SerializerMethodField(help_text="EncounterCoding public id, if made")
    coding_status = serializers.CharField(help_text="not_started, draft")
    working_drg = serializers.CharField(allow_null=True)
    expected_weight = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    coder = serializers.CharField(source="coder_username", allow_null=True)
    pending_reason = serializers.CharField(
        source="pending", help_text='"", documentation, query, deficiency'
    )

    def get_days_since_discharge(self, obj) -> int | None:
        return services.days_since(obj.discharge_at)

    def get_coding(self, obj) -> str | None:
        return str(obj.coding_public_id) if obj.coding_public_id else None


class AssignSerializer(serializers.Serializer):
    encounters = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=500, help_text="Encounter ids"
    )
    coder = serializers.CharField(
        allow_null=True, required=False, default=None, help_text="Username; null unassigns"
    )


class AssignResultSerializer(serializers.Serializer):
    coder = serializers.CharField(allow_null=True)
    codings = serializers.ListField(child=serializers.CharField())


class NextChartSerializer(serializers.Serializer):
    coding = serializers.CharField(allow_null=True, help_text="The claimed chart's coding id")
    encounter = serializers.CharField(allow_null=True)
    workspace = serializers.CharField(allow_null=True, help_text="Page to code it")
    detail = serializers.CharField()


class PendingSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, help_text='"documentation" (awaiting documentation) or "" (none)'
    )


def _workspace(coding: EncounterCoding) -> str | None:
    try:
        return reverse("coding:workspace", kwargs={"public_id": coding.public_id})
    except NoReverseMatch:
        return None


class DnfbViewSet(viewsets.GenericViewSet):
    """Discharged, not final billed: the coder work queue."""

    permission_classes = [PolicyPermission]
    policy_model = EncounterCoding
    policy_actions = {"assign": "view", "next": "change", "pending": "change"}
    queryset = Encounter.objects.none()  # the model, for the filters and the schema
    serializer_class = DnfbRowSerializer
    filterset_class = DnfbFilterSet
    filter_backends = [DjangoFilterBackend]
    lookup_field = "public_id"
    lookup_value_regex = r"[^/\x00]+"

    def perform_authentication(self, request):
        super().perform_authentication(request)
        context.bind_user(request.user)

    def get_queryset(self):
        return services.dnfb(self.request.user)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        criteria = {k: v for k, v in request.query_params.items() if v and k != "page"}
        trail.record(
            trail.Action.SEARCH if criteria else trail.Action.READ,
            object_type="coding.encountercoding",
            detail={"view": "dnfb", "criteria": criteria, "shown": [e.public_ref for e in rows]},
        )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=AssignSerializer, responses=AssignResultSerializer)
    @action(detail=False, methods=["post"])
    def assign(self, request):
        """Assign charts to a coder, or unassign them (coder null). All or nothing."""
        if not request.user.has_perm("coding.assign_encountercoding"):
            trail.record(
                trail.Action.DENIED,
                object_type="coding.encountercoding",
                outcome=trail.Outcome.DENIED,
                reason="role lacks coding.assign_encountercoding",
            )
            raise exceptions.PermissionDenied("Your role does not allow assigning charts.")
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = {_uuid_or_none(v) for v in body.validated_data["encounters"]}
        if None in ids:
            raise serializers.ValidationError(
                {"encounters": ["Give encounter ids (UUIDs), e.g. from the queue list."]}
            )
        found = list(self.get_queryset().filter(public_id__in=ids))
        if len(found) != len(ids):
            missing = sorted(str(i) for i in ids - {e.public_id for e in found})
            raise serializers.ValidationError(
                {
                    "encounters": [
                        "Not in the queue (final, unknown or outside your access): "
                        + ", ".join(missing)
                    ]
                }
            )
        coder = None
        username = body.validated_data.get("coder")
        if username:
            coder = User.objects.filter(username=username).first()
            if coder is None:
                raise serializers.ValidationError({"coder": [f"No user called {username}."]})
        done = _service(services.queue_assign, encounters=found, coder=coder, user=request.user)
        return Response(
            {
                "coder": coder.username if coder else None,
                "codings": [str(c.public_id) for c in done],
            }
        )

    @extend_schema(request=None, responses=NextChartSerializer)
    @action(detail=False, methods=["post"])
    def next(self, request):
        """Claim the oldest unassigned chart that waits for nothing (coders)."""
        coding = _service(services.queue_next_chart, user=request.user)
        if coding is None:
            return Response(
                {
                    "coding": None,
                    "encounter": None,
                    "workspace": None,
                    "detail": "No unassigned chart is waiting in your facilities.",
                }
            )
        return Response(
            {
                "coding": str(coding.public_id),
                "encounter": coding.encounter.public_ref,
                "workspace": _workspace(coding),
                "detail": f"Visit {coding.encounter.number} is assigned to you.",
            }
        )

    @extend_schema(request=PendingSerializer, responses=DnfbRowSerializer)
    @action(detail=True, methods=["post"])
    def pending(self, request, public_id=None):
        """Mark a chart as awaiting documentation, or clear it."""
        encounter = self.get_queryset().filter(public_id=_uuid_or_none(public_id)).first()
        if encounter is None:
            trail.record(
                trail.Action.DENIED,
                object_type="records.encounter",
                object_id=str(public_id)[:64],
                outcome=trail.Outcome.NOT_FOUND,
            )
            raise exceptions.NotFound("No such record, or it is outside your access.")
        body = PendingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _service(
            services.coding_set_pending,
            coding=coding_for(encounter),
            reason=body.validated_data["reason"],
            user=request.user,
        )
        fresh = self.get_queryset().get(pk=encounter.pk)
        return Response(self.get_serializer(fresh).data)


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Physician queries ----------------------------------------------------------------------------


class PhysicianQuerySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_ref", read_only=True)
    coding = serializers.UUIDField(
        source="coding.public_id", help_text="The EncounterCoding public id"
    )
    encounter = serializers.CharField(source="coding.encounter.number", read_only=True)
    facility = serializers.CharField(source="coding.encounter.facility.code", read_only=True)
    patient = serializers.CharField(source="coding.encounter.patient.enterprise_id", read_only=True)
    provider = serializers.CharField(source="provider.npi", help_text="The provider's NPI")
    provider_name = serializers.CharField(source="provider.__str__", read_only=True)
    template = serializers.CharField(
        source="template.key", required=False, allow_null=True, default=None
    )
    kind = serializers.CharField(
        required=False, allow_blank=True, help_text="multiple_choice, open_ended, yes_no"
    )
    yes_no_situation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="For yes/no: poa, substantiate, cause_effect or conflict",
    )
    question = serializers.CharField(required=False, allow_blank=True)
    clinical_indicators = serializers.CharField(allow_blank=True)
    options = serializers.ListField(
        child=serializers.CharField(), required=False, allow_null=True, default=None
    )
    status = serializers.CharField(read_only=True, help_text="draft, sent, answered, cancelled")
    answer_document = serializers.SerializerMethodField()

    class Meta:
        model = PhysicianQuery
        fields = [
            "id",
            "coding",
            "encounter",
            "facility",
            "patient",
            "provider",
            "provider_name",
            "template",
            "kind",
            "yes_no_situation",
            "question",
            "clinical_indicators",
            "options",
            "status",
            "created_at",
            "sent_at",
            "answered_at",
            "answer_option",
            "answer_text",
            "answer_document",
            "agreement",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = [
            "created_at",
            "sent_at",
            "answered_at",
            "answer_option",
            "answer_text",
            "agreement",
            "cancelled_at",
            "cancel_reason",
        ]

    def get_answer_document(self, obj) -> str | None:
        return str(obj.answer_document.public_id) if obj.answer_document_id else None

    def _user(self):
        return self.context["request"].user

    def _provider(self, npi: str) -> Provider:
        provider = Provider.objects.filter(npi=npi).first()
        if provider is None:
            raise serializers.ValidationError({"provider": [f"No provider with NPI {npi}."]})
        return provider

    def _template(self, key):
        if not key:
            return None
        template = QueryTemplate.objects.filter(key=key, active=True).first()
        if template is None:
            raise serializers.ValidationError({"template": [f"No active template {key!r}."]})
        return template

    def create(self, validated):
        user = self._user()
        coding = (
            EncounterCoding.objects.visible_to(user, "view")
            .filter(public_id=validated["coding"]["public_id"])
            .first()
        )
        if coding is None:
            raise serializers.ValidationError(
                {"coding": ["No such chart, or it is outside your access."]}
            )
        return _service(
            queries.query_create,
            coding=coding,
            provider=self._provider(validated["provider"]["npi"]),
            template=self._template((validated.get("template") or {}).get("key")),
            kind=validated.get("kind", ""),
            question=validated.get("question", ""),
            clinical_indicators=validated.get("clinical_indicators", ""),
            options=validated.get("options"),
            yes_no_situation=validated.get("yes_no_situation", ""),
            user=user,
        )

    def update(self, instance, validated):
        if "coding" in validated or "template" in self.initial_data or "kind" in validated:
            raise serializers.ValidationError(
                {"non_field_errors": ["The chart, template and kind of a query cannot change."]}
            )
        changes = {
            k: v
            for k, v in validated.items()
            if k in ("question", "clinical_indicators", "options", "yes_no_situation")
        }
        if "provider" in validated:
            changes["provider"] = self._provider(validated["provider"]["npi"])
        return _service(queries.query_update, query=instance, user=self._user(), **changes)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class AnswerSerializer(serializers.Serializer):
    option = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="One of the query's options"
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for an open-ended query and for “Other (please specify)”",
    )


class PhysicianQueryViewSet(PHIModelViewSet):
    """Physician queries. Coders write and send; only the addressed provider answers."""

    queryset = PhysicianQuery.objects.all()
    serializer_class = PhysicianQuerySerializer
    filterset_class = PhysicianQueryFilterSet
    lookup_field = "public_id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["created_at", "sent_at", "answered_at"]
    policy_actions = {"send": "change", "cancel": "change", "answer": "view"}

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "coding__encounter__facility",
                "coding__encounter__patient",
                "provider",
                "template",
                "answer_document",
            )
        )

    def perform_destroy(self, instance):
        if instance.status != PhysicianQuery.Status.DRAFT:
            raise serializers.ValidationError(
                {"non_field_errors": ["Only a draft can be deleted; cancel a sent query."]}
            )
        super().perform_destroy(instance)

    def _fresh(self, query):
        return Response(self.get_serializer(self.get_queryset().get(pk=query.pk)).data)

    @extend_schema(request=None, responses=PhysicianQuerySerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, public_id=None):
        """Send a draft to the provider's queue; the chart is pending until answered."""
        query = self.get_object()
        _service(queries.query_send, query=query, user=request.user)
        return self._fresh(query)

    @extend_schema(request=CancelSerializer, responses=PhysicianQuerySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, public_id=None):
        query = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _service(
            queries.query_cancel,
            query=query,
            user=request.user,
            reason=body.validated_data["reason"],
        )
        return self._fresh(query)

    @extend_schema(
        request=AnswerSerializer,
        responses={200: PhysicianQuerySerializer, 403: OpenApiResponse(description="Not yours")},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, public_id=None):
        """The addressed provider answers; the answer is filed in the chart."""
        query = self.get_object()
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _service(
            queries.query_answer,
            query=query,
            user=request.user,
            option=body.validated_data["option"],
            text=body.validated_data["text"],
        )
        return self._fresh(query)


class QueryTemplateSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="multiple_choice, open_ended, yes_no")
    yes_no_situation = serializers.CharField()
    options = serializers.SerializerMethodField(help_text="Including the mandatory options")

    class Meta:
        model = QueryTemplate
        fields = ["key", "title", "kind", "question", "options", "yes_no_situation", "guidance"]
        read_only_fields = fields

    def get_options(self, obj) -> list[str]:
        if obj.kind == "yes_no":
            return obj.options or list(queries.YES_NO_OPTIONS)
        return obj.full_options()


class QueryTemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Compliant query templates (reference data, not PHI)."""

    permission_classes = [PolicyPermission]
    queryset = QueryTemplate.objects.filter(active=True)
    serializer_class = QueryTemplateSerializer
    lookup_field = "key"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    filter_backends: list = []


# Figures (no patient rows) ----------------------------------------------------------------


class RangeQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First day (inclusive)")
    date_to = serializers.DateField(help_text="Last day (inclusive)")
    coder = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError(
                {"date_to": ["The end date is before the start date."]}
            )
        if (data["date_to"] - data["date_from"]).days > 3660:
            raise serializers.ValidationError({"date_to": ["Choose at most ten years."]})
        return data


class QueryMetricsSerializer(serializers.Serializer):
    provider = serializers.CharField()
    sent = serializers.IntegerField()
    answered = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    median_response_hours = serializers.FloatField(allow_null=True)
    average_response_hours = serializers.FloatField(allow_null=True)
    agreement_rate = serializers.FloatField(allow_null=True, help_text="percent")
    finalized_after_answer = serializers.IntegerField()
    drg_changed = serializers.IntegerField()
    average_weight_change = serializers.CharField(allow_null=True)


class ProductivitySerializer(serializers.Serializer):
    day = serializers.DateField()
    coder = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Per class")
    total = serializers.IntegerField()


def _extra_permission(request, permission: str, model) -> None:
    if not request.user.has_perm(permission):
        trail.record(
            trail.Action.DENIED,
            object_type=f"{model._meta.app_label}.{model._meta.model_name}",
            outcome=trail.Outcome.DENIED,
            reason=f"role lacks {permission}",
        )
        raise exceptions.PermissionDenied("Your role does not allow this.")


class QueryMetricsViewSet(viewsets.ViewSet):
    """Physician query metrics per provider (last row: all providers)."""

    permission_classes = [PolicyPermission]
    policy_model = PhysicianQuery

    @extend_schema(parameters=[RangeQuerySerializer], responses=QueryMetricsSerializer(many=True))
    def list(self, request):
        _extra_permission(request, "coding.view_query_metrics", PhysicianQuery)
        params = RangeQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start, end = params.validated_data["date_from"], params.validated_data["date_to"]
        rows = queries.query_metrics(request.user, start, end)
        trail.record(
            trail.Action.READ,
            object_type="coding.physicianquery",
            detail={"view": "query-metrics", "from": start.isoformat(), "to": end.isoformat()},
        )
        return Response([r.as_dict() for r in rows])


class ProductivityViewSet(viewsets.ViewSet):
    """Charts finalized per day, per coder, by encounter class."""

    permission_classes = [PolicyPermission]
    policy_model = EncounterCoding

    @extend_schema(parameters=[RangeQuerySerializer], responses=ProductivitySerializer(many=True))
    def list(self, request):
        _extra_permission(request, "coding.view_coding_productivity", EncounterCoding)
        params = RangeQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        _, rows = services.productivity(
            request.user, data["date_from"], data["date_to"], coder=data["coder"].strip()
        )
        trail.record(
            trail.Action.READ,
            object_type="coding.encountercoding",
            detail={
                "view": "productivity",
                "from": data["date_from"].isoformat(),
                "to": data["date_to"].isoformat(),
            },
        )
        return Response(
            [{"day": r.day, "coder": r.coder, "counts": r.counts, "total": r.total} for r in rows]
        )


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
    router.register("queue", DnfbViewSet, basename="dnfb")
    router.register("queries", PhysicianQueryViewSet, basename="physicianquery")
    router.register("query-templates", QueryTemplateViewSet, basename="querytemplate")
    router.register("query-metrics", QueryMetricsViewSet, basename="query-metrics")
    router.register("productivity", ProductivityViewSet, basename="productivity")
