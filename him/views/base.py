"""Base views that apply the access policy and write the trail.

A PHI view declares its model (and optionally a FilterSet); it never filters by
facility or writes trail rows by hand. For each HTTP method the mixin:
- sends anonymous users to sign in, and privileged users without a verified
  second factor to the second-factor page;
- answers 403 (and writes a denial) when the role lacks the model permission;
- narrows the queryset with ``visible_to(user, action)``, so an object out of
  reach is a 404 (and a not-found row in the trail), never a leak;
- writes one trail row per detail read, list or search, create, update, delete;
- re-checks a written object inside the transaction, rolling back a write that
  would leave the user's reach.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.views import generic

from him import policy, trail
from him.trail import Action, Outcome

METHOD_ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view"}


class OutOfReach(Exception):
    """A write would put the object outside the user's reach."""


class PolicyMixin(AccessMixin):
    model = None
    policy_action: str | None = None  # default: from the view kind / HTTP method

    def get_policy_action(self) -> str:
        if self.policy_action:
            return self.policy_action
        return METHOD_ACTIONS.get(self.request.method, "change")

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if policy.needs_second_factor(user):
            return redirect_to_second_factor(request)
        action = self.get_policy_action()
        if not policy.has_model_permission(user, self.model, action):
            trail.record(
                Action.DENIED,
                object_type=_label(self.model),
                outcome=Outcome.DENIED,
                reason=f"role lacks {policy.permission_name(self.model, action)}",
                detail={"path": request.path},
            )
            raise PermissionDenied("Your role does not allow this.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model._default_manager.visible_to(self.request.user, self.get_policy_action())


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}" if model else ""


def redirect_to_second_factor(request):
    from django.urls import reverse
    from django.utils.http import urlencode

    from him.otp import has_confirmed_device

    name = "him:otp-verify" if has_confirmed_device(request.user) else "him:otp-enrol"
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


class ObjectMixin(PolicyMixin):
    """Looks the object up through the policy: out of reach is 404 (and a trail row)."""

    slug_field = "pk"
    slug_url_kwarg = "pk"

    def get_object(self, queryset=None):
        queryset = queryset if queryset is not None else self.get_queryset()
        key = self.kwargs.get(self.slug_url_kwarg)
        try:
            if "\x00" in str(key):  # PostgreSQL cannot compare text with NUL: a 500
                raise ValueError(key)
            return queryset.get(**{self.slug_field: key})
        except (self.model.DoesNotExist, ValueError, TypeError):
            trail.record(
                Action.READ,
                object_type=_label(self.model),
                object_id=str(key).replace("\x00", "")[:64],
                outcome=Outcome.NOT_FOUND,
            )
            raise Http404("No such record, or it is outside your access.") from None


class PHIDetailView(ObjectMixin, generic.DetailView):
    trail_action = Action.READ

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        trail.record(self.trail_action, obj=self.object)
        return response


class PHIListView(PolicyMixin, generic.ListView):
    """A list or search page: one trail row naming what was shown."""

    filterset_class = None
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(
                self.request.GET or None, queryset=queryset, request=self.request
            )
            if self.filterset.is_bound and not self.filterset.is_valid():
                return queryset.none()
            queryset = self.filterset.qs
        return queryset

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["filterset"] = self.filterset
        shown = data["object_list"]
        # lists(), not items(): a filter may repeat (action=read&action=print).
        criteria = {
            k: v if len(v) > 1 else v[0]
            for k, v in self.request.GET.lists()
            if any(v) and k != "page"
        }
        trail.record(
            Action.SEARCH if criteria else Action.READ,
            object_type=_label(self.model),
            detail={
                "criteria": criteria,
                "page": data["page_obj"].number if data.get("page_obj") else 1,
                "shown": [str(getattr(o, "public_ref", o.pk)) for o in shown],
            },
        )
        return data


class WriteMixin(PolicyMixin):
    """Create and update: save in a transaction, re-check reach, trail the change."""

    trail_action = Action.UPDATE
    success_message = "Saved."

    def save(self, form):
        """Override to call the service that owns the write."""
        return form.save()

    def form_valid(self, form):
        try:
            with transaction.atomic():
                obj = self.save(form)
                if not policy.can(self.request.user, "view", obj):
                    raise OutOfReach
                trail.record(self.trail_action, obj=obj)
        except OutOfReach:
            trail.record(
                Action.DENIED,
                object_type=_label(self.model),
                outcome=Outcome.DENIED,
                reason="write would leave the object outside the user's reach; rolled back",
            )
            form.add_error(
                None, "Not saved: the result would be outside the facilities you can reach."
            )
            return self.form_invalid(form)
        self.object = obj
        messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())


class PHICreateView(WriteMixin, generic.CreateView):
    policy_action = "add"
    trail_action = Action.CREATE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs


class PHIUpdateView(WriteMixin, ObjectMixin, generic.UpdateView):
    policy_action = "change"
    trail_action = Action.UPDATE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs


class PHIDeleteView(ObjectMixin, generic.DeleteView):
    policy_action = "delete"

    def form_valid(self, form):
        obj = self.get_object()
        with transaction.atomic():
            trail.record(Action.DELETE, obj=obj)
            obj.delete()
        messages.success(self.request, "Deleted.")
        return redirect(self.get_success_url())
