"""Navigation entries. Apps add theirs from AppConfig.ready(); each names the
permission that shows it, so every role sees the screens it can use."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    description: str = ""
    order: int = 100


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if item not in _items:
        _items.append(item)
        _items.sort(key=lambda i: (i.order, i.label))


def items_for(user) -> list[dict]:
    return [
        {"label": i.label, "url": reverse(i.url_name), "description": i.description}
        for i in _items
        if user.has_perm(i.permission)
    ]
