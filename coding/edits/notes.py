"""Edits from the tabular notes: Excludes1, etiology/manifestation, code first, use additional.

A note applies to a code when it sits on the code or on any of its ancestors
(subcategory, category, block, chapter). Excludes2 ("not included here": the
two may be reported together) raises nothing.
"""

from __future__ import annotations

import re

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.lookup import clean, cm, index
from coding.edits.validity import resolve_dx
from coding.models import CodeNote

# "... in diseases classified elsewhere", "... in other diseases ...", "... in bacterial
# diseases ...": the etiology/manifestation convention's title.
MANIFESTATION_TITLE = re.compile(r"\bin\b[\w ,-]*\bdiseases classified elsewhere", re.I)


def _assigned(claim: Claim, ctx: EditContext):
    """(position, code, resolved) for each diagnosis line whose code resolves to a row."""
    resolved = resolve_dx(ctx)
    out = []
    for i, d in enumerate(claim.diagnoses, start=1):
        code = clean(d.code)
        r = resolved.get(code)
        if r is not None and r.chain and r.status in ("ok", "header", "7th_missing"):
            out.append((i, code, r))
    return out


def manifestation_evidence(ctx: EditContext, chain) -> str:
    """Why the code is a manifestation: "flag" (set by the loader), "title" ('in diseases
    classified elsewhere' on the code or an ancestor), "note" (a 'code first underlying
    ...' note), or "" (it is not one)."""
    idx = index(ctx)
    for row in chain:
        if (row.flags or {}).get("manifestation"):
            return "flag"
    for row in chain:
        if row.kind in ("code", "category") and MANIFESTATION_TITLE.search(row.title):
            return "title"
    for n in idx.notes_of(chain, CodeNote.Kind.CODE_FIRST):
        if "underlying" in n.text.lower():
            return "note"
    return ""


@register("cm_excludes1")
def check_excludes1(claim: Claim, ctx: EditContext):
    idx = index(ctx)
    assigned = _assigned(claim, ctx)
    seen: set[frozenset[str]] = set()
    for i, a, ra in assigned:
        for note in idx.notes_of(ra.chain, CodeNote.Kind.EXCLUDES1):
            refs = idx.refs_of(note)
            for j, b, _rb in assigned:
                if b == a or frozenset((a, b)) in seen:
                    continue
                if any(ref.matches(b) for ref in refs):
                    seen.add(frozenset((a, b)))
                    first, second = sorted(((i, a), (j, b)))
                    holder = idx.by_id.get(note.code_id)
                    where = f" (note on {cm(holder.code)})" if holder and holder.code != a else ""
                    yield make(
                        "CM-EXCLUDES1",
                        f"{cm(first[1])} (#{first[0]}) and {cm(second[1])} (#{second[0]}) "
                        f"are mutually exclusive: {cm(a)} has Excludes1 '{note.text}'{where}. "
                        "Keep the one the documentation supports; report both only if the "
                        "conditions are unrelated to each other.",
                        codes=[first[1], second[1]],
                        line=f"dx:{second[0]}",
                    )


@register("cm_manifestation")
def check_manifestation(claim: Claim, ctx: EditContext):
    """Manifestation first (principal / first listed), and code-first sequencing."""
    idx = index(ctx)
    assigned = _assigned(claim, ctx)
    position = {code: i for i, code, _ in reversed(assigned)}
    for i, code, r in assigned:
        code_first = idx.notes_of(r.chain, CodeNote.Kind.CODE_FIRST)
        etiologies: list[tuple[int, str, str]] = []  # (position, code, note text)
        for note in code_first:
            for other, j in position.items():
                if other != code and any(ref.matches(other) for ref in idx.refs_of(note)):
                    etiologies.append((j, other, note.text))
        evidence = manifestation_evidence(ctx, r.chain) if i == 1 else ""
        # A code with only a 'code first underlying' note (no 'in diseases classified
        # elsewhere' title) may be principal when the cause is unknown (guideline
        # I.A.13): it is an error here only when the cause is coded too. The MCE's
        # own manifestation list still applies to it.
        if evidence in ("flag", "title") or (evidence == "note" and etiologies):
            first = "principal diagnosis" if claim.inpatient else "first-listed diagnosis"
            hint = (
                f" Sequence the underlying condition {cm(etiologies[0][1])} first."
                if etiologies
                else " Code the underlying condition first, then this code."
            )
            yield make(
                "CM-MANIFESTATION-PDX",
                f"{cm(code)} {r.title} describes a manifestation and cannot be the {first}.{hint}",
                codes=[code],
                line="dx:1",
                suggestions=[e[1] for e in etiologies[:1]],
            )
            continue
        for j, other, text in sorted(etiologies):
            if j > i:
                yield make(
                    "CM-CODE-FIRST",
                    f"{cm(code)} (#{i}) has a 'code first' note ({text}): move {cm(other)} "
                    f"(#{j}) before {cm(code)}.",
                    codes=[code, other],
                    line=f"dx:{i}",
                )
                break


@register("cm_use_additional")
def check_use_additional(claim: Claim, ctx: EditContext):
    idx = index(ctx)
    assigned = _assigned(claim, ctx)
    codes = [code for _, code, _ in assigned]
    seen_notes: set[int] = set()
    for i, code, r in assigned:
        for note in idx.notes_of(r.chain, CodeNote.Kind.USE_ADDITIONAL):
            refs = idx.refs_of(note)
            if not refs or note.pk in seen_notes:
                continue
            holder = idx.by_id.get(note.code_id)
            if holder is not None and holder.kind in ("chapter", "block"):
                # Chapter and block notes are generic "if applicable" lists (e.g. a
                # retained foreign body for every injury): too broad to remind about.
                continue
            if any(ref.matches(other) for ref in refs for other in codes if other != code):
                continue
            seen_notes.add(note.pk)
            yield make(
                "CM-USE-ADDITIONAL",
                f"{cm(code)} (#{i}) has a 'use additional code' note: {note.text}. Add the "
                "code if the documentation supports it.",
                codes=[code],
                line=f"dx:{i}",
            )
