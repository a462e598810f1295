"""How the platform names patients without importing the records app.

The trail stores a patient's database id. The records app registers, from its
AppConfig.ready(), how to turn what a person types (enterprise id, MRN) into
ids, and ids back into labels for screens and exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_resolvers: list[Callable[[str], list[int]]] = []
_labellers: list[Callable[[Iterable[int]], dict[int, str]]] = []


def register(
    *,
    resolve: Callable[[str], list[int]],
    label: Callable[[Iterable[int]], dict[int, str]],
) -> None:
    if resolve not in _resolvers:
        _resolvers.append(resolve)
    if label not in _labellers:
        _labellers.append(label)


def resolve(text: str) -> list[int]:
    """Patient ids matching what a person typed (a number is taken as the id)."""
    text = (text or "").strip()
    if not text:
        return []
    ids: set[int] = set()
    if text.isdigit():
        ids.add(int(text))
    for resolver in _resolvers:
        ids.update(resolver(text))
    return sorted(ids)


def labels(ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    found: dict[int, str] = {}
    for labeller in _labellers:
        found.update(labeller(wanted))
    return found
