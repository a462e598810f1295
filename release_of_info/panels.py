"""Panels of the request page, contributed by the parts of the app.

The request page (``release_of_info:roirequest-detail``) shows, in order, every
registered panel whose permission the user holds: the authorization checklist,
the document picker, the packet, delivery, fees... Each part registers its own
from ``ReleaseOfInfoConfig.ready()``, so the page template names none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str  # rendered with the page context plus what ``context`` returns
    permission: str
    context: Callable[..., dict]  # context(request=<HttpRequest>, roi=<ROIRequest>) -> dict
    order: int = 50


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _panels[panel.key] = panel


def for_user(user) -> list[Panel]:
    return sorted(
        (p for p in _panels.values() if user.has_perm(p.permission)), key=lambda p: p.order
    )
