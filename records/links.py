"""Links other apps put on the chart and the encounter page.

Records sits below coding and release of information, so it cannot name their
screens; they register a ``Link`` from their ``AppConfig.ready()`` ("Code this
encounter", "New ROI request", "Disclosures") and the chart shows the ones the
user's role may follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PATIENT = "patient"
ENCOUNTER = "encounter"


@dataclass(frozen=True)
class Link:
    key: str
    on: str  # PATIENT or ENCOUNTER
    label: str
    permission: str
    url: Callable[[object], str | None]  # url(obj); None hides the link for this object
    order: int = 50


_links: dict[str, Link] = {}


def register(link: Link) -> None:
    _links[link.key] = link


def for_object(user, on: str, obj) -> list[dict]:
    shown = []
    for link in sorted(_links.values(), key=lambda item: (item.order, item.label)):
        if link.on != on or not user.has_perm(link.permission):
            continue
        url = link.url(obj)
        if url:
            shown.append({"label": link.label, "url": url})
    return shown
