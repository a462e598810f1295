"""What a diagnosis code is in the ICD-10-CM version in force (``resolve``).

A 7-character code is valid when the code set holds it, or (the tabular does
not list every 7th-character extension) when its 6-character base, or the leaf
it pads with placeholder X, is in the code set and the nearest ancestor that
defines 7th characters allows its last character.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coding.edits.lookup import (
    CM_SHAPE,
    CPT_SHAPE,
    PCS_SHAPE,
    CodeIndex,
    found_elsewhere,
    pad_placeholder,
    placeholder_variants,
)
from coding.models import Code, CodeSystem

MAX_SUGGESTIONS = 12


@dataclass
class Resolved:
    """What a diagnosis code is in the code set in force."""

    code: str
    status: (
        str  # ok, malformed, wrong_set, not_valid, header, 7th_missing, 7th_invalid, placeholder
    )
    chain: list[Code] = field(default_factory=list)  # its row (or base) and ancestors
    title: str = ""
    allowed: dict[str, str] = field(default_factory=dict)  # 7th characters allowed
    suggestions: tuple[str, ...] = ()
    elsewhere: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def resolve(idx: CodeIndex, code: str) -> Resolved:
    """``code`` (clean) as the loaded rows of ``idx`` say it is."""
    if not CM_SHAPE.match(code):
        elsewhere = found_elsewhere(idx, code, skip=CodeSystem.ICD10CM)
        if elsewhere or PCS_SHAPE.match(code) and code[0].isdigit():
            return Resolved(code, "wrong_set", elsewhere=elsewhere or "ICD-10-PCS procedure")
        if CPT_SHAPE.match(code) and code[0].isdigit():
            return Resolved(code, "wrong_set", elsewhere="CPT")
        return Resolved(code, "malformed")

    row = idx.cm.get(code)
    chain = idx.chain(code)
    defining, allowed = idx.seventh_for(chain)

    if row is not None and row.kind in (Code.Kind.CHAPTER, Code.Kind.BLOCK):
        return Resolved(code, "malformed")
    if row is not None and len(code) < 7 and allowed:
        if getattr(row, "n_children", 0):
            return Resolved(code, "header", chain, row.title, allowed)
        base = pad_placeholder(code)
        return Resolved(
            code,
            "7th_missing",
            chain,
            row.title,
            allowed,
            tuple(base + c for c in sorted(allowed)),
        )
    if row is not None:
        if row.billable:
            return Resolved(code, "ok", chain, row.title, allowed)
        return Resolved(code, "header", chain, row.title, allowed)

    # Not a row: a 7th-character extension of a leaf?
    if len(code) == 7 and chain and allowed:
        base = chain[0]
        filler = code[len(base.code) : 6]
        if not getattr(base, "n_children", 0) and set(filler) <= {"X"}:
            if code[6] in allowed:
                return Resolved(code, "ok", chain, base.title, allowed)
            return Resolved(
                code,
                "7th_invalid",
                chain,
                base.title,
                allowed,
                tuple(code[:6] + c for c in sorted(allowed)),
            )

    # Typed without the placeholder X?
    suggestions = _placeholder_fix(idx, code)
    if suggestions:
        return Resolved(code, "placeholder", chain, "", allowed, suggestions)

    elsewhere = found_elsewhere(idx, code, skip=CodeSystem.ICD10CM)
    if elsewhere:
        return Resolved(code, "wrong_set", elsewhere=elsewhere)
    return Resolved(code, "not_valid", chain)


def _placeholder_fix(idx: CodeIndex, code: str) -> tuple[str, ...]:
    found: list[str] = []
    for variant in sorted(placeholder_variants(code)):
        chain = idx.chain(variant)
        if not chain:
            continue
        base = chain[0]
        if getattr(base, "n_children", 0) or not set(variant[len(base.code) :]) <= {"X"}:
            continue
        _, allowed = idx.seventh_for(chain)
        if not allowed:
            continue
        # The variant came from the code minus its last character (that one being the
        # 7th) or from the whole code (no 7th character typed yet).
        if code[-1] in allowed and _same_chars(variant, code[:-1]):
            found.append(variant + code[-1])
        elif _same_chars(variant, code):
            found.extend(variant + c for c in sorted(allowed))
    return tuple(dict.fromkeys(found))[:MAX_SUGGESTIONS]


def _same_chars(variant: str, typed: str) -> bool:
    """``variant`` is ``typed`` with X inserted (after the category) to six characters."""
    if len(typed) >= 6 or variant[:3] != typed[:3]:
        return False
    rest = typed[3:]
    # Greedy subsequence match: the typed characters in order, X fills the rest.
    matched = 0
    for ch in variant[3:]:
        if matched < len(rest) and ch == rest[matched]:
            matched += 1
        elif ch != "X":
            return False
    return matched == len(rest)
