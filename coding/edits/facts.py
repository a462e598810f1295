"""Each diagnosis code's facts as the checks read them, made once per code-set version.

Every validation asks the same questions of each code: what it is in the
version in force (``resolve``), which Excludes1, code-first and use-additional
notes apply to it (its own and its ancestors'), whether it is a manifestation,
whether a loader flag makes it POA exempt, which billable codes sit under it
when it is a header, whether it is an unspecified code with more specific
siblings. ``DxFacts`` holds the answers. They are made when a code is first
seen under a set of versions in force and kept in that set's ``lookup.Store``,
so validating a claim whose codes were seen is a loop over its lines with no
query.

A note names codes by ranges (``CodeReference``); a check asks whether any
other code of the claim is named. To answer "no" without trying every
reference on every code, a note also carries ``keys``: strings one of which is
a prefix of every code the note can name (the start of a single-code
reference; each category a range spans). A claim code with none of them as a
prefix is not named; otherwise ``CodeReference.matches`` decides, as it always
did, so the keys skip work and never decide an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coding.claim import Dx
from coding.edits import Edit, EditContext
from coding.edits.lookup import (
    CodeIndex,
    Store,
    children_of,
    clean,
    cm,
    load,
    sets_in_force,
    store,
)
from coding.edits.resolve import MAX_SUGGESTIONS, Resolved, resolve
from coding.models import Code, CodeNote, CodeReference, CodeSet, CodeSystem

# "... in diseases classified elsewhere", "... in other diseases ...", "... in bacterial
# diseases ...": the etiology/manifestation convention's title.
MANIFESTATION_TITLE = re.compile(r"\bin\b[\w ,-]*\bdiseases classified elsewhere", re.I)
# The statuses whose code the note edits read (a code with a row and its ancestors).
ASSIGNED = ("ok", "header", "7th_missing")
# The characters of a code's first three (every ICD-10-CM code is three or more).
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# A range spanning more categories than this is tried on every code instead.
MAX_KEYS = 5000
UNSPECIFIED_OFFERED = 8
MAX_EDITS_KEPT = 200  # per code: a few kinds of edit at up to 25 lines


def unspecified(title: str) -> bool:
    return "unspecified" in title.lower()


def ref_keys(ref: CodeReference) -> frozenset[str] | None:
    """Strings, one of them a prefix of every code (3+ characters) ``ref`` matches.

    ``matches`` compares a code's first ``len(start)`` characters with the range;
    cutting both sides to three characters keeps the order, so a matched code's
    category lies in the cut range. None: the range spans too many categories.
    """
    width = len(ref.start)
    start, end = ref.start, ref.end[:width]
    if start == end:
        return frozenset((start,))
    size = min(3, width)
    low, high = start[:size], end[:size]
    found = [""]
    for n in range(1, size + 1):
        low_n, high_n = low[:n], high[:n]
        found = [p + c for p in found for c in ALPHABET if low_n <= p + c <= high_n]
        if len(found) > MAX_KEYS:
            return None
    return frozenset(s for s in found if low <= s <= high)


@dataclass(frozen=True, slots=True)
class NoteFacts:
    note: CodeNote
    refs: tuple[CodeReference, ...]
    holder: Code | None  # the code the note sits on
    keys: frozenset[str]
    loose: bool  # a reference without keys: every code is tried

    def matches(self, code: str) -> bool:
        return any(ref.matches(code) for ref in self.refs)

    def names(self, code: str, facts: DxFacts) -> bool:
        """``matches``, tried only when one of the note's keys is a prefix of the code."""
        return (self.loose or not self.keys.isdisjoint(facts.prefixes)) and self.matches(code)


@dataclass(frozen=True, slots=True)
class NoteGroup:
    """The notes of one kind on a code and its ancestors, with all their keys."""

    notes: tuple[NoteFacts, ...] = ()
    keys: frozenset[str] = frozenset()
    loose: bool = False


@dataclass(frozen=True, slots=True)
class Unspecified:
    """An unspecified code with more specific codes beside it: the edit's text around
    the line number (``head`` (#n) ``tail``) and the codes to suggest."""

    head: str
    tail: str
    offered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DxFacts:
    code: str
    resolved: Resolved
    assigned: bool  # the note edits read it (status in ASSIGNED, with its rows)
    prefixes: frozenset[str]  # every prefix of the code, itself included
    excludes1: NoteGroup = NoteGroup()
    code_first: NoteGroup = NoteGroup()
    use_additional: tuple[NoteFacts, ...] = ()  # the notes the reminder is given for
    manifestation: str = ""  # see ``manifestation_evidence``
    poa_flag: bool | None = None  # a loader's ``poa_exempt`` flag on the code or above
    header_offered: tuple[str, ...] = ()  # billable codes under a header
    unspecified: Unspecified | None = None
    # The edits this code raises that depend on nothing but the code's facts and its
    # line (an unspecified code at #3, a note's reminder at #5), made once and reused:
    # ``edit_at``. Edits are immutable; what a check decides is decided on every run.
    edits: dict = field(default_factory=dict, compare=False)

    def edit_at(self, key: tuple, build) -> Edit:
        found = self.edits.get(key)
        if found is None:
            if len(self.edits) >= MAX_EDITS_KEPT:
                self.edits.clear()
            found = self.edits[key] = build()
        return found


def manifestation_evidence(idx: CodeIndex, chain) -> str:
    """Why the code is a manifestation: "flag" (set by the loader), "title" ('in diseases
    classified elsewhere' on the code or an ancestor), "note" (a 'code first underlying
    ...' note), or "" (it is not one)."""
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


def _poa_flag(chain) -> bool | None:
    for row in chain:
        flag = (row.flags or {}).get("poa_exempt")
        if flag is not None:
            return bool(flag)
    return None


def _note(idx: CodeIndex, note: CodeNote, shared: dict) -> NoteFacts:
    found = shared.get(("note", note.pk))
    if found is None:
        refs = tuple(idx.refs_of(note))
        keys: set[str] = set()
        loose = False
        for ref in refs:
            more = ref_keys(ref)
            if more is None:
                loose = True
            else:
                keys |= more
        holder = idx.by_id.get(note.code_id)
        found = NoteFacts(note, refs, holder, frozenset(keys), loose)
        shared[("note", note.pk)] = found
    return found


def _group(notes: list[NoteFacts], shared: dict) -> NoteGroup:
    """The group of ``notes``, shared by every code with the same notes."""
    if not notes:
        return NoteGroup()
    key = ("group", tuple(n.note.pk for n in notes))
    found = shared.get(key)
    if found is None:
        keys = frozenset().union(*(n.keys for n in notes))
        found = NoteGroup(tuple(notes), keys, any(n.loose for n in notes))
        shared[key] = found
    return found


def _unspecified_candidate(r: Resolved) -> bool:
    # Compared with its siblings under a category or subcategory (a code whose parent
    # is a block, like R69, has no more specific codes of its own).
    return (
        r.ok
        and unspecified(r.title)
        and len(r.chain) > 1
        and r.chain[1].kind in ("category", "code")
    )


def _unspecified(code: str, r: Resolved, kids: dict[int, list[dict]]) -> Unspecified | None:
    parent = r.chain[1]
    specific = [
        c
        for c in kids.get(parent.pk, [])
        if c["code"] != r.chain[0].code and not unspecified(c["title"])
    ]
    direct = [c["code"] for c in specific if c["parent_id"] == parent.pk]
    if not direct:
        return None
    offered = tuple(c["code"] for c in specific if c["billable"])[:UNSPECIFIED_OFFERED]
    return Unspecified(
        f"{cm(code)} {r.title}",
        f"is unspecified, but {cm(parent.code)} has more specific codes "
        f"({', '.join(cm(c) for c in direct[:5])}{', ...' if len(direct) > 5 else ''}). "
        "Use one if the record documents it, or query the provider.",
        offered,
    )


def compile_codes(idx: CodeIndex, codes: set[str], shared: dict) -> dict[str, DxFacts]:
    """The facts of each diagnosis code in ``codes``, from the rows ``idx`` loaded for them."""
    resolved = {code: resolve(idx, code) for code in sorted(codes)}
    parents = {r.chain[0].pk for r in resolved.values() if r.status == "header" and r.chain}
    parents |= {r.chain[1].pk for r in resolved.values() if _unspecified_candidate(r)}
    kids = children_of(parents) if parents else {}
    out: dict[str, DxFacts] = {}
    for code, r in resolved.items():
        prefixes = frozenset(code[:n] for n in range(1, len(code) + 1))
        if not r.chain:
            out[code] = DxFacts(code, r, False, prefixes)
            continue
        chain = r.chain
        header_offered = ()
        if r.status == "header":
            header_offered = tuple(
                c["code"] for c in kids.get(chain[0].pk, []) if c["billable"] and c["code"]
            )[:MAX_SUGGESTIONS]
        use_additional = []
        for note in idx.notes_of(chain, CodeNote.Kind.USE_ADDITIONAL):
            facts = _note(idx, note, shared)
            # Chapter and block notes are generic "if applicable" lists (e.g. a
            # retained foreign body for every injury): too broad to remind about.
            holder = facts.holder
            if facts.refs and not (holder is not None and holder.kind in ("chapter", "block")):
                use_additional.append(facts)
        out[code] = DxFacts(
            code,
            r,
            r.status in ASSIGNED,
            prefixes,
            excludes1=_group(
                [_note(idx, n, shared) for n in idx.notes_of(chain, CodeNote.Kind.EXCLUDES1)],
                shared,
            ),
            code_first=_group(
                [_note(idx, n, shared) for n in idx.notes_of(chain, CodeNote.Kind.CODE_FIRST)],
                shared,
            ),
            use_additional=tuple(use_additional),
            manifestation=manifestation_evidence(idx, chain),
            poa_flag=_poa_flag(chain),
            header_offered=header_offered,
            unspecified=_unspecified(code, r, kids) if _unspecified_candidate(r) else None,
        )
    return out


# One run ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ClaimFacts:
    """The claim's lines with their codes' facts, for one run."""

    sets: dict[str, CodeSet | None]
    idx: CodeIndex  # the rows of every code seen (exact codes of any system)
    dx: dict[str, DxFacts]  # each distinct diagnosis code (lines, admitting, reason)
    lines: list[tuple[int, str, Dx]]  # (position, clean code, line) per diagnosis line
    assigned: list[tuple[int, str, DxFacts]]  # the lines the note edits read
    prefix_keys: frozenset[str] = frozenset()  # every prefix of an assigned code
    all_ok: bool = False  # every diagnosis code is a valid billable code
    _positions: dict[str, int] | None = field(default=None, repr=False)

    def may_name_other(self, group: NoteGroup | NoteFacts, code: str) -> bool:
        """Might a note of ``group`` name an assigned code other than ``code``?"""
        if group.loose:
            return True
        if group.keys.isdisjoint(self.prefix_keys):
            return False
        hits = group.keys & self.prefix_keys
        own = self.dx[code].prefixes
        if any(k not in own for k in hits):
            return True
        return any(b != code and b.startswith(k) for k in hits for _, b, _ in self.assigned)

    def names_other(self, note: NoteFacts, code: str) -> bool:
        """Does ``note`` name an assigned code other than ``code``?"""
        if note.loose:
            return any(b != code and note.matches(b) for _, b, _ in self.assigned)
        if note.keys.isdisjoint(self.prefix_keys):
            return False
        hits = note.keys & self.prefix_keys
        for _, b, fb in self.assigned:
            if b != code and not hits.isdisjoint(fb.prefixes) and note.matches(b):
                return True
        return False

    @property
    def positions(self) -> dict[str, int]:
        """Each assigned code's first line, in the order the code-first edit reads them."""
        if self._positions is None:
            self._positions = {code: i for i, code, _ in reversed(self.assigned)}
        return self._positions


def claim_facts(ctx: EditContext) -> ClaimFacts:
    found = ctx.cache.get("edits:facts")  # asked by most checks: no closure per ask
    if found is None:
        found = ctx.cache["edits:facts"] = _claim_facts(ctx)
    return found


def _claim_facts(ctx: EditContext) -> ClaimFacts:
    claim = ctx.claim
    sets = sets_in_force(ctx)
    kept = store(ctx)
    lines: list[tuple[int, str, Dx]] = []
    dx: set[str] = set()
    for i, d in enumerate(claim.diagnoses, start=1):
        code = clean(d.code)
        lines.append((i, code, d))
        if code:
            dx.add(code)
    for extra in (claim.admitting_dx, claim.reason_for_visit):
        if extra and (code := clean(extra)):
            dx.add(code)
    others = {c for c in (clean(p.code) for p in claim.procedures) if c}
    others.update(c for c in (clean(s.code) for s in claim.services) if c)
    missing_dx = dx - kept.known_dx
    missing = others - kept.known if others else others
    if missing_dx or missing:
        px = {c for c in (clean(p.code) for p in claim.procedures) if c}
        svc = {c for c in (clean(s.code) for s in claim.services) if c}
        _learn(kept, sets, {"dx": missing_dx, "px": px & missing, "svc": svc & missing})
    compiled = kept.compiled
    facts: dict[str, DxFacts] = {}
    all_ok = True
    for code in dx:
        f = compiled.get(code)
        if f is not None:
            facts[code] = f
            if all_ok and f.resolved.status != "ok":
                all_ok = False
    assigned: list[tuple[int, str, DxFacts]] = []
    for i, code, _ in lines:
        f = facts.get(code)
        if f is not None and f.assigned:
            assigned.append((i, code, f))
    prefix_keys = frozenset().union(*[f.prefixes for _, _, f in assigned])
    return ClaimFacts(sets, kept.idx, facts, lines, assigned, prefix_keys, all_ok)


def _learn(kept: Store, sets: dict[str, CodeSet | None], groups: dict[str, set[str]]) -> None:
    """Load the codes not seen yet and add them, with their facts, to ``kept``."""
    batch = load(sets, groups)
    compiled = {}
    if sets[CodeSystem.ICD10CM] is not None and groups["dx"]:
        compiled = compile_codes(batch, groups["dx"], kept.shared)
    with kept.lock:
        kept.idx.merge(batch)
        kept.compiled.update(compiled)
        kept.known_dx |= groups["dx"]
        kept.known |= groups["dx"] | groups["px"] | groups["svc"]
