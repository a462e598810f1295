"""API of the search part: code search and code detail.

Code sets are reference data, not PHI: no facility scope and no trail row on a
read; still only users whose role holds ``coding.view_code`` may call them.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coding.models import Code
from coding.services.search import (
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    SEARCHABLE,
    SearchError,
    search_codes,
)
from coding.services.search_detail import CodeNotFound, code_detail
from him import context
from him.api.permissions import PolicyPermission


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        trim_whitespace=True,
        error_messages={
            "required": "Type a code or some words to search for (q).",
            "blank": "Type a code or some words to search for (q).",
        },
        help_text="A code (E11.65, e1165), a code prefix (E11.6, s72.0) or words (typos forgiven).",
    )
    system = serializers.ChoiceField(
        choices=SEARCHABLE, required=False, help_text="One code system; all of them if omitted."
    )
    on = serializers.DateField(
        required=False,
        help_text="Search the code set versions in force on this date (YYYY-MM-DD); default today.",
    )
    billable = serializers.BooleanField(
        required=False, default=False, help_text="Only codes valid on a claim (no headers)."
    )
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_LIMIT)


class DetailQuerySerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text="Read the version in force on this date; default today."
    )


class CodeHitSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Without the dot")
    dotted = serializers.CharField(help_text="As printed (E11.65)")
    title = serializers.CharField()
    billable = serializers.BooleanField()
    system = serializers.ChoiceField(choices=SEARCHABLE)
    kind = serializers.ChoiceField(choices=Code.Kind.choices)


def _brief_fields() -> dict:
    # New field instances each time: DRF binds a field to one serializer.
    return {
        "code": serializers.CharField(),
        "dotted": serializers.CharField(),
        "title": serializers.CharField(),
        "kind": serializers.CharField(),
        "billable": serializers.BooleanField(),
    }


class CodeDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    dotted = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    billable = serializers.BooleanField()
    system = serializers.CharField()
    code_set = inline_serializer(
        "CodeSetVersion",
        {
            "version": serializers.CharField(),
            "effective_from": serializers.DateField(),
            "effective_to": serializers.DateField(allow_null=True),
        },
    )
    valid_on = serializers.BooleanField(
        help_text="False: not in the version in force on the date; shown from the latest version holding it."
    )
    on = serializers.DateField()
    ancestors = inline_serializer("CodeBriefAncestor", _brief_fields(), many=True)
    children = inline_serializer("CodeBriefChild", _brief_fields(), many=True)
    notes = serializers.DictField(
        child=inline_serializer(
            "CodeNoteItem",
            {
                "text": serializers.CharField(),
                "from": serializers.CharField(
                    help_text="The code (or ancestor) the note is printed under"
                ),
                "references": inline_serializer(
                    "CodeNoteReference",
                    {
                        "start": serializers.CharField(),
                        "end": serializers.CharField(),
                        "suffix": serializers.CharField(),
                    },
                    many=True,
                ),
                "codes": serializers.ListField(
                    child=serializers.CharField(), help_text="Codes named in the text (undotted)"
                ),
            },
            many=True,
        ),
        help_text="By kind: inclusion, includes, excludes1, excludes2, code_first, "
        "use_additional, code_also, note, seventh_character.",
    )
    seventh_characters = inline_serializer(
        "SeventhCharacterItem",
        {"character": serializers.CharField(), "meaning": serializers.CharField()},
        many=True,
    )
    seventh_characters_from = serializers.CharField(allow_null=True)


class _CodeSetAPIView(APIView):
    permission_classes = [PolicyPermission]
    policy_model = Code  # coding.view_code

    def perform_authentication(self, request):
        super().perform_authentication(request)
        context.bind_user(request.user)  # a denial's trail row names who was denied


class CodeSearchView(_CodeSetAPIView):
    @extend_schema(
        operation_id="coding_codes_search",
        summary="Search codes",
        description=(
            "Codes of the code sets in force on `on` matching `q`: the exact code first, "
            "then billable codes, then titles starting with the first word."
        ),
        parameters=[SearchQuerySerializer],
        responses={
            200: inline_serializer("CodeSearchResults", {"results": CodeHitSerializer(many=True)})
        },
        tags=["coding"],
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            hits = search_codes(
                data["q"],
                system=data.get("system"),
                on=data.get("on") or timezone.localdate(),
                billable_only=data["billable"],
                limit=data["limit"],
            )
        except SearchError as error:
            raise exceptions.ValidationError({"q": [str(error)]}) from None
        return Response({"results": [hit.as_dict() for hit in hits]})


class CodeDetailView(_CodeSetAPIView):
    @extend_schema(
        operation_id="coding_codes_detail",
        summary="One code: notes, hierarchy, children, 7th characters",
        parameters=[
            DetailQuerySerializer,
            OpenApiParameter("system", OpenApiTypes.STR, OpenApiParameter.PATH, enum=SEARCHABLE),
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="With or without the dot",
            ),
        ],
        responses={200: CodeDetailSerializer},
        tags=["coding"],
    )
    def get(self, request, system: str, code: str):
        params = DetailQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if system not in SEARCHABLE:
            raise exceptions.ValidationError(
                {"system": [f"Unknown code system {system!r}: use one of {', '.join(SEARCHABLE)}."]}
            )
        try:
            detail = code_detail(system, code, on=params.validated_data.get("on"))
        except CodeNotFound:
            raise exceptions.NotFound(f"No code {code!r} in {system}.") from None
        return Response(CodeDetailSerializer(detail.as_dict()).data)


urlpatterns = [
    path("codes/", CodeSearchView.as_view(), name="code-search"),
    path("codes/<str:system>/<str:code>/", CodeDetailView.as_view(), name="code-detail"),
]


def register(router) -> None:
    """This part has no viewsets: plain views in ``urlpatterns``."""
