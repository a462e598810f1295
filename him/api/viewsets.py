"""The DRF base classes every PHI endpoint uses.

The same promises as the HTML base views: the queryset comes from
``visible_to(user, action)``, objects out of reach are 404, each read, list,
create, update and delete writes its trail row, and a write that would leave
the user's reach is rolled back.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response

from him import context, policy, trail
from him.api.permissions import PolicyPermission, policy_action_for
from him.trail import Action, Outcome


class OutOfReachError(exceptions.PermissionDenied):
    default_detail = "Not saved: the result would be outside the facilities you can reach."


class PolicyViewSetMixin:
    permission_classes = [PolicyPermission]
    # No NUL: PostgreSQL cannot compare text with it (a 500), and no key holds one.
    lookup_value_regex = r"[^/\x00]+"

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # Token authentication happens here, not in middleware: name the user before
        # the permission check, so a denial's trail row says who was denied.
        context.bind_user(request.user)

    @property
    def model(self):
        return self.queryset.model

    def _label(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}.{meta.model_name}"

    def get_queryset(self):
        action = policy_action_for(self.request, self)
        return self.model._default_manager.visible_to(self.request.user, action)

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
            trail.record(
                Action.READ if self.request.method in ("GET", "HEAD") else Action.DENIED,
                object_type=self._label(),
                object_id=str(lookup)[:64],
                outcome=Outcome.NOT_FOUND,
            )
            raise exceptions.NotFound("No such record, or it is outside your access.") from None

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.get_serializer(instance).data
        trail.record(Action.READ, obj=instance)
        return Response(data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        shown = getattr(self, "_shown", [])
        criteria = {k: v for k, v in request.query_params.items() if v and k not in ("page",)}
        trail.record(
            Action.SEARCH if criteria else Action.READ,
            object_type=self._label(),
            detail={"criteria": criteria, "shown": shown},
        )
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._shown = [str(getattr(o, "public_ref", o.pk)) for o in rows]
        return page

    def _checked_save(self, serializer, action: str):
        try:
            with transaction.atomic():
                obj = serializer.save(**self.save_kwargs())
                if not policy.can(self.request.user, "view", obj):
                    raise OutOfReachError()
                trail.record(action, obj=obj)
        except OutOfReachError:
            # Written after the rollback, so the denial itself is kept.
            trail.record(
                Action.DENIED,
                object_type=self._label(),
                outcome=Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            raise
        return obj

    def save_kwargs(self) -> dict:
        return {}

    def perform_create(self, serializer):
        self._checked_save(serializer, Action.CREATE)

    def perform_update(self, serializer):
        self._checked_save(serializer, Action.UPDATE)

    def perform_destroy(self, instance):
        with transaction.atomic():
            trail.record(Action.DELETE, obj=instance)
            instance.delete()


class PHIModelViewSet(PolicyViewSetMixin, viewsets.ModelViewSet):
    pass


class PHIReadOnlyViewSet(PolicyViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class PHIListCreateRetrieveViewSet(
    PolicyViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    pass
