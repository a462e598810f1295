from __future__ import annotations

from him import navigation as nav
from him import policy


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if policy.needs_second_factor(user):
        return {"nav_items": [], "nav_needs_otp": True}
    items = nav.items_for(user)
    # The current item: the one whose address is the longest prefix of this page's.
    matches = [i for i in items if request.path.startswith(i["url"])]
    if matches:
        current = max(matches, key=lambda i: len(i["url"]))
        for item in items:
            item["current"] = item is current
    return {"nav_items": items}
