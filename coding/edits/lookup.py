"""The claim's codes, their ancestors and their notes, loaded once per run.

Every check reads the same ``CodeIndex`` (memoized on the run's context), so a
claim of 25 diagnoses costs a handful of queries whatever the checks do:
the code sets in force (1), the diagnosis codes with every prefix and
placeholder variant and their block and chapter (1, plus one per missing
ancestor level), the exact codes in the other code systems (1), notes (1),
their code references (1), 7th characters (1), and, only when an edit needs
them, children (1) and other versions (1).

``Code.flags`` keys the edits read (set by a loader; all optional):
``manifestation`` (bool: the code, or every code under it, is a manifestation
code that cannot be principal) and ``poa_exempt`` (bool: overrides the POA
exempt list for the code and the codes under it).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from coding.claim import Claim
from coding.edits import EditContext
from coding.models import Code, CodeNote, CodeReference, CodeSet, CodeSystem, SeventhCharacter
from coding.models import dotted as _dotted

CM_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$")
PCS_SHAPE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
CPT_SHAPE = re.compile(r"^[0-9]{4}[0-9A-Z]$")
HCPCS_SHAPE = re.compile(r"^[A-V][0-9]{4}$")

NOTE_KINDS = (CodeNote.Kind.EXCLUDES1, CodeNote.Kind.CODE_FIRST, CodeNote.Kind.USE_ADDITIONAL)
SERVICE_SYSTEMS = (CodeSystem.CPT, CodeSystem.HCPCS)


def clean(code: str) -> str:
    return (code or "").strip().upper().replace(".", "").replace(" ", "")


def cm(code: str) -> str:
    """ICD-10-CM code as a coder reads it (dotted)."""
    return _dotted(code, CodeSystem.ICD10CM)


def pad_placeholder(code: str) -> str:
    return code + "X" * (6 - len(code)) if len(code) < 6 else code


def placeholder_variants(code: str) -> set[str]:
    """6-character bases with placeholder X inserted after the category.

    "T3601A" -> {"T36X01", "T360X1", "T3601X"} (+7th "A"), "W010" -> {"W010XX"}.
    Both readings are tried: the last character as the 7th, and no 7th yet.
    """
    out: set[str] = set()
    for base in (code[:-1], code):
        if not 3 <= len(base) < 6:
            continue
        missing = 6 - len(base)
        tail = base[3:]
        for spots in itertools.combinations(range(3, 6), missing):
            chars = iter(tail)
            built = [base[:3]] + ["X" if i in spots else next(chars) for i in range(3, 6)]
            out.add("".join(built))
    return out


@dataclass
class CodeIndex:
    sets: dict[str, CodeSet | None]
    cm: dict[str, Code] = field(default_factory=dict)
    by_id: dict[int, Code] = field(default_factory=dict)
    other: dict[str, dict[str, Code]] = field(default_factory=dict)  # system -> code -> row
    notes: dict[int, list[CodeNote]] = field(default_factory=dict)  # code id -> notes
    refs: dict[int, list[CodeReference]] = field(default_factory=dict)  # note id -> refs
    seventh: dict[int, dict[str, str]] = field(default_factory=dict)  # code id -> {char: meaning}

    def chain(self, code: str) -> list[Code]:
        """The code's row (or its longest loaded prefix) and all its ancestors, self first."""
        row = None
        for n in range(len(code), 2, -1):
            row = self.cm.get(code[:n])
            if row is not None:
                break
        out: list[Code] = []
        while row is not None:
            out.append(row)
            row = self.by_id.get(row.parent_id) if row.parent_id else None
        return out

    def seventh_for(self, chain: list[Code]) -> tuple[Code | None, dict[str, str]]:
        """The nearest ancestor defining 7th characters, and those characters."""
        for row in chain:
            chars = self.seventh.get(row.pk)
            if chars:
                return row, chars
        return None, {}

    def notes_of(self, chain: list[Code], kind: str) -> list[CodeNote]:
        return [n for row in chain for n in self.notes.get(row.pk, ()) if n.kind == kind]

    def refs_of(self, note: CodeNote) -> list[CodeReference]:
        return self.refs.get(note.pk, [])


def sets_in_force(ctx: EditContext) -> dict[str, CodeSet | None]:
    def compute():
        on = ctx.claim.code_date
        found: dict[str, CodeSet | None] = dict.fromkeys(CodeSystem.values)
        rows = CodeSet.objects.in_force(None, on).order_by("system", "-effective_from")
        for cs in rows:
            if found.get(cs.system) is None:
                found[cs.system] = cs
        return found

    return ctx.memo("edits:sets", compute)


def claim_codes(claim: Claim) -> dict[str, set[str]]:
    dx = {clean(d.code) for d in claim.diagnoses}
    dx |= {clean(c) for c in (claim.admitting_dx, claim.reason_for_visit) if c}
    return {
        "dx": {c for c in dx if c},
        "px": {clean(p.code) for p in claim.procedures if clean(p.code)},
        "svc": {clean(s.code) for s in claim.services if clean(s.code)},
    }


# Code-set facts are reference data: a loaded version changes only by a reload, which
# fires CODESET_LOADED (``forget``) and gives it a new ``loaded_at``. So the index of
# one set of codes is kept between validations (the workspace validates on every
# change). Sets made without a loader (``loaded_at`` empty) are never kept.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 512
_cache_lock = threading.Lock()


def forget(**kwargs) -> None:
    with _cache_lock:
        _CACHE.clear()


def _cache_key(ctx: EditContext):
    sets = sets_in_force(ctx)
    if any(cs is not None and cs.loaded_at is None for cs in sets.values()):
        return None
    groups = claim_codes(ctx.claim)
    return (
        tuple(sorted((s, cs.pk, cs.loaded_at) for s, cs in sets.items() if cs is not None)),
        frozenset(groups["dx"]),
        frozenset(groups["px"]),
        frozenset(groups["svc"]),
    )


def _cached_load(ctx: EditContext) -> CodeIndex:
    key = _cache_key(ctx)
    if key is not None:
        with _cache_lock:
            found = _CACHE.get(key)
            if found is not None:
                _CACHE.move_to_end(key)
                return found
    idx = _load(ctx)
    if key is not None:
        with _cache_lock:
            _CACHE[key] = idx
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return idx


def index(ctx: EditContext) -> CodeIndex:
    return ctx.memo("edits:index", lambda: _cached_load(ctx))


def _load(ctx: EditContext) -> CodeIndex:
    sets = sets_in_force(ctx)
    idx = CodeIndex(sets=sets)
    groups = claim_codes(ctx.claim)
    everything = groups["dx"] | groups["px"] | groups["svc"]

    cm_set = sets[CodeSystem.ICD10CM]
    if cm_set is not None and everything:
        wanted: set[str] = set(everything)
        for code in groups["dx"]:
            wanted.update(code[:n] for n in range(3, len(code)))
            for variant in placeholder_variants(code):
                wanted.add(variant)
                wanted.update(variant + c for c in code[-1:])
        rows = (
            Code.objects.filter(code_set=cm_set, code__in=sorted(wanted))
            .select_related("parent", "parent__parent")
            .annotate(n_children=Count("children", filter=Q(children__code__regex=r"^.{1,6}$")))
        )
        for row in rows:
            idx.cm[row.code] = row
            idx.by_id[row.pk] = row
            for parent in (row.parent, row.parent.parent if row.parent else None):
                if parent is not None:
                    idx.by_id.setdefault(parent.pk, parent)
        # Any deeper ancestors (a tree with more levels than block and chapter).
        missing = {r.parent_id for r in idx.by_id.values() if r.parent_id} - set(idx.by_id)
        while missing:
            for row in Code.objects.filter(pk__in=missing):
                idx.by_id[row.pk] = row
            missing = {r.parent_id for r in idx.by_id.values() if r.parent_id} - set(idx.by_id)
        ids = list(idx.by_id)
        if ids:
            notes = CodeNote.objects.filter(code_id__in=ids, kind__in=NOTE_KINDS).order_by(
                "position"
            )
            for n in notes:
                idx.notes.setdefault(n.code_id, []).append(n)
            for ref in CodeReference.objects.filter(code_id__in=ids, kind__in=NOTE_KINDS):
                idx.refs.setdefault(ref.note_id, []).append(ref)
            for sc in SeventhCharacter.objects.filter(code_id__in=ids):
                idx.seventh.setdefault(sc.code_id, {})[sc.character] = sc.meaning

    other_sets = {
        s: sets[s]
        for s in (CodeSystem.ICD10PCS, CodeSystem.CPT, CodeSystem.HCPCS)
        if sets[s] is not None
    }
    idx.other = {s: {} for s in other_sets}
    if other_sets and everything:
        by_set = {cs.pk: s for s, cs in other_sets.items()}
        rows = Code.objects.filter(code_set_id__in=list(by_set), code__in=sorted(everything))
        for row in rows:
            idx.other[by_set[row.code_set_id]][row.code] = row
    return idx


def children(ctx: EditContext, parent_ids) -> dict[int, list[dict]]:
    """Children and grandchildren of the given codes, by the given code's id (one query)."""
    parent_ids = set(parent_ids)
    key = ("edits:children", frozenset(parent_ids))

    def compute():
        out: dict[int, list[dict]] = defaultdict(list)
        if not parent_ids:
            return out
        rows = (
            Code.objects.filter(Q(parent_id__in=parent_ids) | Q(parent__parent_id__in=parent_ids))
            .order_by("position")
            .values("code", "title", "billable", "parent_id", "parent__parent_id")
        )
        for r in rows:
            for pid in (r["parent_id"], r["parent__parent_id"]):
                if pid in parent_ids:
                    out[pid].append(r)
        return out

    return ctx.memo(key, compute)


def other_versions(ctx: EditContext, system: str, codes) -> dict[str, list[CodeSet]]:
    """The loaded versions of ``system`` that hold each code (one query)."""
    codes = frozenset(codes)

    def compute():
        out: dict[str, list[CodeSet]] = defaultdict(list)
        if not codes:
            return out
        rows = (
            Code.objects.filter(code_set__system=system, code__in=sorted(codes), billable=True)
            .select_related("code_set")
            .order_by("code_set__effective_from")
        )
        for row in rows:
            out[row.code].append(row.code_set)
        return out

    return ctx.memo(("edits:versions", system, codes), compute)


def found_elsewhere(idx: CodeIndex, code: str, *, skip: str) -> str | None:
    """The label of another in-force code system that holds ``code``."""
    names = {
        CodeSystem.ICD10PCS: "ICD-10-PCS procedure",
        CodeSystem.CPT: "CPT",
        CodeSystem.HCPCS: "HCPCS",
    }
    for system, rows in idx.other.items():
        if system != skip and code in rows:
            return names[system]
    if skip != CodeSystem.ICD10CM and code in idx.cm and idx.cm[code].kind == Code.Kind.CODE:
        return "ICD-10-CM diagnosis"
    return None
