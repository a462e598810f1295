from __future__ import annotations

from rest_framework import exceptions, permissions

from him import policy, trail

_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def policy_action_for(request, view) -> str:
    explicit = getattr(view, "policy_actions", {}).get(getattr(view, "action", None))
    return explicit or _ACTIONS.get(request.method, "change")


class PolicyPermission(permissions.BasePermission):
    """Every API call: signed in, second factor where the role needs it, model permission.

    Object scope is the queryset's job (``visible_to``), so objects out of reach
    are 404s. Views without a model (schema, health) declare their own classes.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated("Sign in, or send an API token.")
        if policy.needs_second_factor(user):
            raise exceptions.PermissionDenied(
                "Your role needs a verified second factor: sign in to the web application "
                "with your authenticator code first. API tokens are not issued to privileged roles."
            )
        model = getattr(view, "policy_model", None) or _model_of(view)
        if model is None:
            return True
        action = policy_action_for(request, view)
        if policy.has_model_permission(user, model, action):
            return True
        trail.record(
            trail.Action.DENIED,
            object_type=f"{model._meta.app_label}.{model._meta.model_name}",
            outcome=trail.Outcome.DENIED,
            reason=f"role lacks {policy.permission_name(model, action)}",
            detail={"path": request.path, "method": request.method},
        )
        return False


def _model_of(view):
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None
