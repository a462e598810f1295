"""The coding edit engine: each check reads a ``Claim`` and answers ``Edit``s.

A check is ``fn(claim, ctx) -> Iterable[Edit]``, registered with ``register``
(from the module that defines it, imported by ``CodingConfig.ready()``).
``run(claim)`` calls every check with one shared ``EditContext`` (the code sets
in force and a per-run cache, so checks do not query the same codes twice) and
returns the edits sorted errors first, then by line.

An edit blocks finalizing when its severity is ``error``; a ``warning`` is
shown and does not block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from coding.claim import Claim

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Edit:
    id: str  # stable, e.g. "CM-EXCLUDES1", "MCE-AGE", "NCCI-PTP"
    severity: str  # ERROR or WARNING
    message: str  # what a coder reads: what is wrong and what to do
    rule: str  # where the rule comes from (guideline section, MCE edit, NCCI...)
    codes: tuple[str, ...] = ()  # the codes involved, undotted
    line: str = ""  # "dx:2", "px:1", "svc:3" or "" for the whole claim
    suggestions: tuple[str, ...] = ()  # codes to offer instead (billable children...)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def order(self) -> tuple:
        """Where the edit is listed: errors first, then by line (kind, number), then id.
        Kept on the instance once asked (an edit reused by a check is sorted again)."""
        found = self.__dict__.get("_order")
        if found is None:
            kind, seq = _line_order(self.line)
            found = self.__dict__["_order"] = (self.severity != ERROR, kind, seq, self.id)
        return found

    @property
    def blocks(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "message": self.message,
            "rule": self.rule,
            "codes": list(self.codes),
            "line": self.line,
            "suggestions": list(self.suggestions),
        }


class EditContext:
    """What checks share during one run: the claim's code sets and a cache."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.cache: dict = {}

    def memo(self, key, compute: Callable):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


Check = Callable[[Claim, EditContext], Iterable[Edit]]
_checks: dict[str, Check] = {}


def register(name: str) -> Callable[[Check], Check]:
    def decorator(fn: Check) -> Check:
        _checks[name] = fn
        return fn

    return decorator


def registered() -> list[str]:
    return list(_checks)


@functools.lru_cache(maxsize=4096)
def _line_order(line: str) -> tuple[str, int]:
    kind, _, seq = line.partition(":")
    return kind, int(seq) if seq.isdigit() else 0


_ORDER = Edit.order.fget


def run(claim: Claim) -> list[Edit]:
    ctx = EditContext(claim)
    edits: list[Edit] = []
    for check in _checks.values():
        edits.extend(check(claim, ctx))
    edits.sort(key=_ORDER)
    return edits
