"""The claim's codes, their ancestors and their notes, loaded once per code-set version.

Code-set facts are reference data: a loaded version changes only by a reload,
which fires CODESET_LOADED (``forget``) and gives it a new ``loaded_at``. So
what the edits read is kept for the process, per set of versions in force
(a ``Store``): the codes of a claim not seen before cost a handful of queries
(``load``): the diagnosis codes with every prefix and placeholder variant and
their block and chapter (1, plus one per missing ancestor level), the exact
codes in the other code systems (1), notes (1), their code references (1), 7th
characters (1) and, when a code needs them, children (1). A claim whose codes
were all seen costs none. Sets made without a loader (``loaded_at`` empty) are
never kept: their facts are read again on every run.

Which versions are in force on a date is kept too (``sets_in_force``): this
process forgets it when a code set is loaded or a ``CodeSet`` row saved or
deleted here; a load by another process is seen after ``SETS_TTL`` seconds.

``Code.flags`` keys the edits read (set by a loader; all optional):
``manifestation`` (bool: the code, or every code under it, is a manifestation
code that cannot be principal) and ``poa_exempt`` (bool: overrides the POA
exempt list for the code and the codes under it).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from coding.edits import EditContext
from coding.models import Code, CodeNote, CodeReference, CodeSet, CodeSystem, SeventhCharacter
from coding.models import dotted as _dotted

CM_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$")
PCS_SHAPE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
CPT_SHAPE = re.compile(r"^[0-9]{4}[0-9A-Z]$")
HCPCS_SHAPE = re.compile(r"^[A-V][0-9]{4}$")

NOTE_KINDS = (CodeNote.Kind.EXCLUDES1, CodeNote.Kind.CODE_FIRST, CodeNote.Kind.USE_ADDITIONAL)
SERVICE_SYSTEMS = (CodeSystem.CPT, CodeSystem.HCPCS)


@functools.lru_cache(maxsize=65536)
def clean(code: str) -> str:
    """The code as stored: upper case, no dot, no spaces (cached: checks clean every line)."""
    return (code or "").strip().upper().replace(".", "").replace(" ", "")


@functools.lru_cache(maxsize=65536)
def cm(code: str) -> str:
    """ICD-10-CM code as a coder reads it (dotted; cached: every edit message has some)."""
    return _dotted(code, CodeSystem.ICD10CM)


def pad_placeholder(code: str) -> str:
    return code + "X" * (6 - len(code)) if len(code) < 6 else code


@functools.lru_cache(maxsize=4096)
def placeholder_variants(code: str) -> frozenset[str]:
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
    return frozenset(out)


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

    def merge(self, other: CodeIndex) -> None:
        """Add what ``other`` loaded (same versions) to this index."""
        self.cm.update(other.cm)
        self.by_id.update(other.by_id)
        for system, rows in other.other.items():
            self.other.setdefault(system, {}).update(rows)
        self.notes.update(other.notes)
        self.refs.update(other.refs)
        self.seventh.update(other.seventh)


# The versions in force per date, this process's copy: (when read, versions by system,
# their store key).
SETS_TTL = 10.0
_SETS: dict[dt.date, tuple[float, dict[str, CodeSet | None], tuple | None]] = {}
_SETS_SIZE = 4096


def sets_in_force(ctx: EditContext) -> dict[str, CodeSet | None]:
    return _in_force(ctx)[1]


def _in_force(ctx: EditContext) -> tuple[float, dict[str, CodeSet | None], tuple | None]:
    found = ctx.cache.get("edits:sets")
    if found is None:
        found = ctx.cache["edits:sets"] = _in_force_on(ctx.claim.code_date)
    return found


def in_force_on(on: dt.date) -> dict[str, CodeSet | None]:
    """The version of each code system in force on ``on`` (None: no version), kept a while."""
    return _in_force_on(on)[1]


def _in_force_on(on: dt.date) -> tuple[float, dict[str, CodeSet | None], tuple | None]:
    now = time.monotonic()
    hit = _SETS.get(on)
    if hit is not None and now - hit[0] < SETS_TTL:
        return hit
    found: dict[str, CodeSet | None] = dict.fromkeys(CodeSystem.values)
    rows = CodeSet.objects.in_force(None, on).order_by("system", "-effective_from")
    for cs in rows:
        if found.get(cs.system) is None:
            found[cs.system] = cs
    entry = (now, found, _store_key(found))
    with _cache_lock:
        if len(_SETS) >= _SETS_SIZE:
            _SETS.clear()
        _SETS[on] = entry
    return entry


@dataclass
class Store:
    """What is known of the codes seen so far under one set of versions in force.

    ``idx`` holds every row loaded (exact codes are looked up in it); ``known``
    the codes whose rows were looked up; ``compiled`` what ``coding.edits.facts``
    made of each diagnosis code in ``known_dx`` (``shared``: pieces several codes
    share). Readers take no lock: what is added is complete before it is listed.
    """

    idx: CodeIndex
    known: set[str] = field(default_factory=set)
    known_dx: set[str] = field(default_factory=set)
    compiled: dict[str, object] = field(default_factory=dict)
    shared: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# The kept stores, by the versions in force they hold (a reload gives a new key); the
# oldest goes first.
_STORES: OrderedDict = OrderedDict()
_STORES_SIZE = 4
# Codes kept per store before it starts over: ~20 KB each with their rows and ancestors,
# about what the per-claim cache this replaced could hold (512 claims).
_STORE_CODES = 5_000
_cache_lock = threading.Lock()


def forget(**kwargs) -> None:
    with _cache_lock:
        _STORES.clear()
        _SETS.clear()


def _store_key(sets: dict[str, CodeSet | None]):
    if any(cs is not None and cs.loaded_at is None for cs in sets.values()):
        return None
    return tuple(sorted((s, cs.pk, cs.loaded_at) for s, cs in sets.items() if cs is not None))


def store(ctx: EditContext) -> Store:
    """The store for the claim's versions in force: the process's, or a fresh one."""
    _, sets, key = _in_force(ctx)
    if key is None:
        return Store(idx=CodeIndex(sets=sets))
    found = _STORES.get(key)
    if found is not None and len(found.known) < _STORE_CODES:
        return found
    with _cache_lock:
        found = Store(idx=CodeIndex(sets=sets))
        _STORES[key] = found
        while len(_STORES) > _STORES_SIZE:
            _STORES.popitem(last=False)
        return found


def load(sets: dict[str, CodeSet | None], groups: dict[str, set[str]]) -> CodeIndex:
    """A ``CodeIndex`` of the given codes under ``sets``: ``groups`` holds the clean
    diagnosis ("dx"), procedure ("px") and service ("svc") codes."""
    idx = CodeIndex(sets=sets)
    everything = groups["dx"] | groups["px"] | groups["svc"]

    cm_set = sets[CodeSystem.ICD10CM]
    if cm_set is not None and everything:
        wanted: set[str] = set(everything)
        for code in groups["dx"]:
            wanted.update(code[:n] for n in range(3, len(code)))
            for variant in placeholder_variants(code):
                # With its prefixes, so a code's chain never depends on what else was loaded.
                wanted.update(variant[:n] for n in range(3, 7))
                wanted.update(variant + c for c in code[-1:])
        rows = list(
            Code.objects.filter(code_set=cm_set, code__in=sorted(wanted)).select_related(
                "parent", "parent__parent"
            )
        )
        # How many children (not 7th-character codes) each has: its own indexed query (as
        # an annotation, PostgreSQL scanned the whole code table for the join).
        counts = dict(
            Code.objects.filter(parent_id__in=[r.pk for r in rows], code__regex=r"^.{1,6}$")
            .order_by()
            .values("parent_id")
            .annotate(n=Count("id"))
            .values_list("parent_id", "n")
        )
        for row in rows:
            row.n_children = counts.get(row.pk, 0)
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


def children_of(parent_ids) -> dict[int, list[dict]]:
    """Children and grandchildren of the given codes, by the given code's id."""
    parent_ids = set(parent_ids)
    out: dict[int, list[dict]] = defaultdict(list)
    if not parent_ids:
        return out
    # Two indexed queries: with one "parent or grandparent" condition PostgreSQL scanned
    # the whole code table.
    fields = ("id", "code", "title", "billable", "parent_id", "position")
    children = list(Code.objects.filter(parent_id__in=parent_ids).order_by().values(*fields))
    grandparent = {c["id"]: c["parent_id"] for c in children}
    grandchildren = list(
        Code.objects.filter(parent_id__in=list(grandparent)).order_by().values(*fields)
    )
    placed = [(c, c["parent_id"]) for c in children]
    placed += [(c, grandparent[c["parent_id"]]) for c in grandchildren]
    for row, under in sorted(placed, key=lambda pair: pair[0]["position"]):
        if under in parent_ids:
            out[under].append(row)
    return out


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
