from __future__ import annotations

from him import navigation as nav
from him import policy


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if policy.needs_second_factor(user):
        return {"nav_items": [], "nav_needs_otp": True}
    return {"nav_items": nav.items_for(user)}
