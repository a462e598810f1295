"""Edits from the tabular notes: Excludes1, etiology/manifestation, code first, use additional.

A note applies to a code when it sits on the code or on any of its ancestors
(subcategory, category, block, chapter). Excludes2 ("not included here": the
two may be reported together) raises nothing.
"""

from __future__ import annotations

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.facts import claim_facts
from coding.edits.lookup import cm


@register("cm_excludes1")
def check_excludes1(claim: Claim, ctx: EditContext):
    facts = claim_facts(ctx)
    assigned = facts.assigned
    # Only a code whose notes may name another code of the claim can raise the edit.
    suspects = [
        (i, a, fa)
        for i, a, fa in assigned
        if fa.excludes1.notes and facts.may_name_other(fa.excludes1, a)
    ]
    seen: set[frozenset[str]] = set()
    for i, a, fa in suspects:
        for note in fa.excludes1.notes:
            for j, b, fb in assigned:
                if b == a or frozenset((a, b)) in seen:
                    continue
                if note.names(b, fb):
                    seen.add(frozenset((a, b)))
                    first, second = sorted(((i, a), (j, b)))
                    holder = note.holder
                    where = f" (note on {cm(holder.code)})" if holder and holder.code != a else ""
                    yield make(
                        "CM-EXCLUDES1",
                        f"{cm(first[1])} (#{first[0]}) and {cm(second[1])} (#{second[0]}) "
                        f"are mutually exclusive: {cm(a)} has Excludes1 '{note.note.text}'"
                        f"{where}. Keep the one the documentation supports; report both only "
                        "if the conditions are unrelated to each other.",
                        codes=(first[1], second[1]),
                        line=f"dx:{second[0]}",
                    )


@register("cm_manifestation")
def check_manifestation(claim: Claim, ctx: EditContext):
    """Manifestation first (principal / first listed), and code-first sequencing."""
    facts = claim_facts(ctx)
    for i, code, f in facts.assigned:
        r = f.resolved
        etiologies: list[tuple[int, str, str]] = []  # (position, code, note text)
        if f.code_first.notes and facts.may_name_other(f.code_first, code):
            for note in f.code_first.notes:
                for other, j in facts.positions.items():
                    if other != code and note.names(other, facts.dx[other]):
                        etiologies.append((j, other, note.note.text))
        evidence = f.manifestation if i == 1 else ""
        if not etiologies and evidence not in ("flag", "title"):
            continue
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
                codes=(code,),
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
                    codes=(code, other),
                    line=f"dx:{i}",
                )
                break


@register("cm_use_additional")
def check_use_additional(claim: Claim, ctx: EditContext):
    facts = claim_facts(ctx)
    assigned = facts.assigned
    seen_notes: set[int] = set()
    for i, code, f in assigned:
        for note in f.use_additional:
            if note.note.pk in seen_notes:
                continue
            if facts.names_other(note, code):
                continue
            seen_notes.add(note.note.pk)
            yield f.edit_at(
                ("use_additional", i, note.note.pk),
                lambda i=i, note=note, code=code: make(
                    "CM-USE-ADDITIONAL",
                    f"{cm(code)} (#{i}) has a 'use additional code' note: {note.note.text}. Add "
                    "the code if the documentation supports it.",
                    codes=(code,),
                    line=f"dx:{i}",
                ),
            )
