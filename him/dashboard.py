"""Dashboard tiles: small figures on the home page, registered by apps.

Each tile names the permission that shows it and a function computing its
figure for a user (through the access policy, like any other read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tile:
    key: str
    title: str
    permission: str
    compute: Callable[[object], dict] = field(compare=False)
    order: int = 100


_tiles: dict[str, Tile] = {}


def register(tile: Tile) -> None:
    _tiles[tile.key] = tile


def tiles_for(user) -> list[dict]:
    """[{"title", "value", "detail", "status", "url"}...] for the tiles the user may see.

    ``compute`` returns a dict with "value" and optionally "detail", "status"
    ("ok", "warning", "alert") and "url". A failing tile shows as unavailable
    instead of breaking the page.
    """
    import logging

    shown = []
    for tile in sorted(_tiles.values(), key=lambda t: (t.order, t.title)):
        if not user.has_perm(tile.permission):
            continue
        try:
            data = dict(tile.compute(user))
        except Exception:  # noqa: BLE001 - one broken tile must not take the page down
            logging.getLogger(__name__).exception("dashboard tile %s failed", tile.key)
            data = {"value": "—", "detail": "unavailable", "status": "warning"}
        data.setdefault("detail", "")
        data.setdefault("status", "ok")
        data.setdefault("url", "")
        data["title"] = tile.title
        data["key"] = tile.key
        shown.append(data)
    return shown
