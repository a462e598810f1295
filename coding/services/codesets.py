"""Loading code sets, and answering which version is in force on a date.

Every load replaces one ``CodeSet`` version (system + version) as a whole, in
one transaction: its rows are deleted and written again in batches, so a
reload is idempotent and a failed load leaves the previous rows in place. The
source file's sha256, its name, the number of items and the time are kept on
the ``CodeSet``; ``coding.hooks.CODESET_LOADED`` fires after the commit (the
search index is rebuilt from there).

Sources (no network):
- ICD-10-CM FY2026: the CDC tabular XML inside the ``simple-icd-10-cm``
  package (the April 1, 2026 update of FY2026), see ``codesets_icd10cm``.
- ICD-10-PCS: the code titles table the ``drg`` package ships
  (``drg/data/tuva/icd_10_pcs.csv``).
- MS-DRG v43: CMS FY2026 Final Rule Table 5 as the ``drg`` package ships it
  (``drg/data/cms/drg_weights.txt``): title, MDC, type, weight, GMLOS, AMLOS.
- HCPCS, CPT, modifiers, NCCI PTP and MUE: the files a site owns, read by
  ``codesets_files``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import connection, models, transaction
from django.utils import timezone

from coding import hooks
from coding.models import (
    Code,
    CodeNote,
    CodeReference,
    CodeSet,
    CodeSystem,
    Drg,
    MueLimit,
    NcciPair,
    SeventhCharacter,
    dotted,
    undotted,
)
from coding.services import codesets_files as files
from coding.services import codesets_icd10cm as icd10cm
from coding.services.codesets_files import FileFormatError
from coding.services.codesets_refs import Universe, parse
from him import trail

log = logging.getLogger(__name__)

BATCH = 2000

# FY2026 runs 2025-10-01 to 2026-09-30. The CDC XML shipped is the April 1,
# 2026 update of FY2026; the October 2025 release is not shipped, so this one
# version answers for the whole fiscal year (the few codes new on 2026-04-01
# are therefore accepted for earlier discharges too: see the README).
#
# The shipped FY2026 versions stay in force until a newer version is loaded
# (effective_to empty): a site that has not loaded FY2027 yet can still code
# discharges after 2026-09-30, and the edits warn that the set is past its
# fiscal year (coding.edits.currency). Loading FY2027 (effective 2026-10-01)
# takes over from that date on, since the latest start in force wins.
FY2026 = (dt.date(2025, 10, 1), None)
FY2026_END = dt.date(2026, 9, 30)


class CodeSetError(Exception):
    """A problem a person can fix: a bad file, no version loaded for a date."""


class NoCodeSetLoaded(CodeSetError):
    pass


__all__ = [
    "FY2026",
    "CodeSetError",
    "FileFormatError",
    "NoCodeSetLoaded",
    "code_set_for",
    "import_cpt",
    "import_hcpcs",
    "import_modifiers",
    "import_mue",
    "import_ncci_ptp",
    "load_icd10cm",
    "load_icd10pcs",
    "load_msdrg",
    "lookup",
]


# ------------------------------------------------------------------ versions


def code_set_for(system: str, on: dt.date) -> CodeSet:
    """The version of ``system`` in force on ``on``; ``NoCodeSetLoaded`` says
    which versions there are when none covers the date."""
    found = CodeSet.for_date(system, on)
    if found is not None:
        return found
    label = CodeSystem(system).label if system in CodeSystem.values else system
    loaded = list(CodeSet.objects.filter(system=system).order_by("effective_from"))
    if not loaded:
        raise NoCodeSetLoaded(
            f"No {label} code set is loaded. Load one first (manage.py load_codesets, "
            "or the Code sets page)."
        )
    spans = ", ".join(
        f"{cs.version} {cs.effective_from:%Y-%m-%d}..{cs.effective_to or 'open'}" for cs in loaded
    )
    raise NoCodeSetLoaded(
        f"No {label} code set is in force on {on:%Y-%m-%d} (loaded: {spans}). "
        "Load the version for that date."
    )


def lookup(system: str, code: str, on: dt.date) -> Code | None:
    """The code as it stands in the version in force on ``on`` (None: not in it).
    Raises ``NoCodeSetLoaded`` when no version covers the date."""
    cs = code_set_for(system, on)
    return Code.objects.filter(code_set=cs, code=undotted(code)).select_related("code_set").first()


# ------------------------------------------------------------------ plumbing


def sha256_of(data: bytes | Path) -> str:
    digest = hashlib.sha256()
    if isinstance(data, Path):
        with data.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    else:
        digest.update(data)
    return digest.hexdigest()


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise CodeSetError(f"The {package} package is not installed.")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.exists():
        raise CodeSetError(f"{path} is missing from the {package} package.")
    return path


def already_loaded(system: str, version: str, source: str, sha256: str) -> CodeSet | None:
    return CodeSet.objects.filter(
        system=system, version=version, source=source, source_sha256=sha256, item_count__gt=0
    ).first()


@dataclass
class _Version:
    system: str
    version: str
    label: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    sha256: str


def _validate_dates(effective_from: dt.date, effective_to: dt.date | None) -> None:
    if effective_to is not None and effective_to < effective_from:
        raise CodeSetError(
            f"The version ends ({effective_to:%Y-%m-%d}) before it starts "
            f"({effective_from:%Y-%m-%d})."
        )


def _open_version(v: _Version) -> CodeSet:
    """Inside a transaction: the CodeSet row (created or updated), emptied."""
    _validate_dates(v.effective_from, v.effective_to)
    cs = CodeSet.objects.select_for_update().filter(system=v.system, version=v.version).first()
    if cs is None:
        cs = CodeSet(system=v.system, version=v.version)
    cs.label = v.label[:120]
    cs.effective_from = v.effective_from
    cs.effective_to = v.effective_to
    cs.source = v.source[:200]
    cs.source_sha256 = v.sha256
    cs.save()
    return cs


def _clear_codes(cs: CodeSet) -> None:
    """Delete a version's codes and what hangs off them, fast.

    Rows of other parts that point at codes (a search index, say) go through
    the ORM so their own cascades run; ours are deleted with one statement per
    table (the ORM would fetch ~100k codes to cascade in Python).
    """
    ours = {CodeNote, CodeReference, SeventhCharacter, Code}
    for rel in Code._meta.related_objects:
        if rel.related_model not in ours:
            rel.related_model._default_manager.filter(
                **{f"{rel.field.name}__code_set": cs}
            ).delete()
    CodeReference.objects.filter(code__code_set=cs)._raw_delete(CodeReference.objects.db)
    CodeNote.objects.filter(code__code_set=cs)._raw_delete(CodeNote.objects.db)
    SeventhCharacter.objects.filter(code__code_set=cs)._raw_delete(SeventhCharacter.objects.db)
    Code.objects.filter(code_set=cs)._raw_delete(Code.objects.db)


def _close_version(cs: CodeSet, count: int) -> None:
    cs.item_count = count
    cs.loaded_at = timezone.now()
    cs.save(update_fields=["item_count", "loaded_at"])


def _loaded(cs: CodeSet) -> CodeSet:
    """After the commit: fresh planner statistics, then tell the other parts (the search
    index, the edits' kept facts...)."""
    cs.refresh_from_db()
    _analyze()
    hooks.fire(hooks.CODESET_LOADED, code_set=cs)
    return cs


def _analyze() -> None:
    """PostgreSQL plans by its statistics: right after a bulk load of a hundred thousand
    codes it has none yet (autovacuum comes later), and looked a code list up by
    scanning the whole table (18 ms instead of 1). Gather them now."""
    if connection.vendor != "postgresql":
        return
    loaded = (Code, CodeNote, CodeReference, SeventhCharacter, Drg, NcciPair, MueLimit)
    with connection.cursor() as cursor:
        for model in loaded:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _flat_codes(
    cs: CodeSet, rows: Iterable[files.CodeRow], *, billable: Callable | None = None
) -> int:
    values = []
    for position, row in enumerate(rows):
        title = row.title or row.short
        values.append(
            (
                cs.pk,
                row.code,
                Code.Kind.CODE.value,
                title,
                billable(row) if billable else True,
                None,
                0,
                position,
                " ".join(t for t in (title, row.short) if t).lower(),
                {**row.flags, **({"short": row.short} if row.short else {})},
            )
        )
    _insert_many(Code, _CODE_FIELDS, values)
    return len(values)


# ------------------------------------------------------------------ ICD-10-CM


@dataclass
class Icd10cmCounts:
    codes: int = 0
    billable: int = 0
    notes: int = 0
    references: int = 0
    seventh_characters: int = 0
    seventh_rows: int = 0
    unparsed: int = 0


def load_icd10cm(
    *,
    only: Iterable[str] | None = None,
    version: str = "FY2026",
    effective_from: dt.date = FY2026[0],
    effective_to: dt.date | None = FY2026[1],
    path: Path | None = None,
    skip_if_loaded: bool = False,
) -> CodeSet:
    """Load the ICD-10-CM tabular list (every chapter, block, code and note).

    ``only``: categories, blocks or chapters to load (tests); the source name
    says so, so a partial load is never taken for the full one.
    """
    path = path or icd10cm.tabular_path()
    sha = sha256_of(path)
    only_list = sorted({str(o).strip().upper() for o in only}) if only else []
    source = f"simple-icd-10-cm: {path.name}" + (
        f" (only {', '.join(only_list)})" if only_list else ""
    )
    if skip_if_loaded and (found := already_loaded(CodeSystem.ICD10CM, version, source, sha)):
        return found
    tabular = icd10cm.parse_tabular(path)
    nodes = icd10cm.select(tabular, only_list or None)
    universe = _universe(tabular)
    label = f"ICD-10-CM {version} (CDC tabular, April 1, 2026 update)"
    v = _Version(CodeSystem.ICD10CM, version, label, effective_from, effective_to, source, sha)
    with transaction.atomic():
        cs = _open_version(v)
        _clear_codes(cs)
        counts = _write_tabular(cs, nodes, universe)
        _close_version(cs, counts.codes)
    log.info("ICD-10-CM %s loaded: %s", version, counts)
    loaded = _loaded(cs)
    loaded.counts = counts
    return loaded


def _insert_many(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT many rows with few statements.

    ``bulk_create`` compiles SQL per object in Python, which was most of a full
    ICD-10-CM load (~175k codes, notes and references). SQLite runs in-process,
    so one prepared statement executed many times is fastest; a server wants
    few round trips, so there each statement carries many rows. Values still go
    through each field's own database preparation (JSON, dates).
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model, values are parameters.
    names = ", ".join(quote(f.column) for f in columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES "  # noqa: S608

    def prepared(row: tuple) -> tuple:
        return tuple(f.get_db_prep_save(v, connection) for f, v in zip(columns, row, strict=True))

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for offset in range(0, len(rows), BATCH * 5):
                cursor.executemany(
                    head + marks, [prepared(r) for r in rows[offset : offset + BATCH * 5]]
                )
            return
        # PostgreSQL: COPY, the bulk path (many times faster than INSERTs);
        # JSON goes as its text, which the server parses into jsonb.
        json_at = [isinstance(f, models.JSONField) for f in columns]
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        copy_sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
        with raw.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(
                    tuple(
                        json.dumps(v) if is_json else v
                        for v, is_json in zip(row, json_at, strict=True)
                    )
                )


_CODE_FIELDS = [
    "code_set",
    "code",
    "kind",
    "title",
    "billable",
    "parent",
    "depth",
    "position",
    "search_text",
    "flags",
]


@transaction.atomic
def _write_tabular(cs: CodeSet, nodes: list[icd10cm.Node], universe: Universe) -> Icd10cmCounts:
    counts = Icd10cmCounts()
    ids: dict[str, int] = {}  # code -> pk (codes are unique within a version)
    by_depth: dict[int, list[tuple[int, icd10cm.Node]]] = {}
    for position, node in enumerate(nodes):
        by_depth.setdefault(node.depth, []).append((position, node))
    # Parents first, level by level, then read back the keys the next level's
    # rows point at.
    for depth in sorted(by_depth):
        _insert_many(
            Code,
            _CODE_FIELDS,
            [
                (
                    cs.pk,
                    node.code,
                    node.kind,
                    node.title,
                    node.billable,
                    ids[node.parent.code] if node.parent is not None else None,
                    node.depth,
                    position,
                    node.search_text,
                    node.flags,
                )
                for position, node in by_depth[depth]
            ],
        )
        ids.update(Code.objects.filter(code_set=cs, depth=depth).values_list("code", "pk"))
    counts.codes = len(nodes)
    counts.billable = sum(1 for n in nodes if n.billable)
    counts.seventh_rows = sum(1 for n in nodes if "seventh" in n.flags)

    notes: list[tuple] = []
    sevenths: list[tuple] = []
    for node in nodes:
        code_id = ids[node.code]
        for position, (kind, text) in enumerate(node.notes):
            notes.append((code_id, kind, text, position))
        for character, meaning in node.seventh:
            sevenths.append((code_id, character, meaning[:200]))
    _insert_many(CodeNote, ["code", "kind", "text", "position"], notes)
    _insert_many(SeventhCharacter, ["code", "character", "meaning"], sevenths)
    counts.notes, counts.seventh_characters = len(notes), len(sevenths)

    note_ids = {
        (code_id, kind, position): pk
        for pk, code_id, kind, position in CodeNote.objects.filter(code__code_set=cs).values_list(
            "pk", "code_id", "kind", "position"
        )
    }
    refs: list[tuple] = []
    for code_id, kind, text, position in notes:
        if kind == CodeNote.Kind.INCLUSION:
            continue
        parsed = parse(text, universe)
        counts.unparsed += len(parsed.unparsed)
        note_id = note_ids[(code_id, kind, position)]
        for ref in parsed.refs:
            refs.append((note_id, code_id, kind, ref.start[:8], ref.end[:8], ref.suffix[:4]))
    _insert_many(CodeReference, ["note", "code", "kind", "start", "end", "suffix"], refs)
    counts.references = len(refs)
    return counts


def _universe(tabular: icd10cm.Tabular) -> Universe:
    cached = getattr(tabular, "_universe", None)
    if cached is None:
        cached = Universe.of(
            (n.code for n in tabular.codes()),
            {n.code: n.title.lower() for n in tabular.codes() if "seventh" in n.flags},
        )
        tabular._universe = cached
    return cached


# ------------------------------------------------------------------ ICD-10-PCS


def load_icd10pcs(
    *,
    only: Iterable[str] | None = None,
    version: str = "FY2026",
    effective_from: dt.date = FY2026[0],
    effective_to: dt.date | None = FY2026[1],
    path: Path | None = None,
    skip_if_loaded: bool = False,
) -> CodeSet:
    """ICD-10-PCS code titles (``only``: code prefixes such as "02" or "0DT")."""
    import csv

    path = path or _package_file("drg", "data", "tuva", "icd_10_pcs.csv")
    sha = sha256_of(path)
    prefixes = tuple(sorted({str(o).strip().upper() for o in only})) if only else ()
    source = f"drg: {path.name}" + (f" (only {', '.join(prefixes)})" if prefixes else "")
    if skip_if_loaded and (found := already_loaded(CodeSystem.ICD10PCS, version, source, sha)):
        return found
    rows: list[files.CodeRow] = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) < 2:
                continue
            code = row[0].strip().upper()
            if len(code) != 7 or (prefixes and not code.startswith(prefixes)):
                continue
            rows.append(files.CodeRow(code=code, title=row[1].strip()))
    if not rows:
        raise CodeSetError(f"No ICD-10-PCS codes were found in {path}.")
    label = f"ICD-10-PCS {version} (titles as shipped by the drg package)"
    v = _Version(CodeSystem.ICD10PCS, version, label, effective_from, effective_to, source, sha)
    with transaction.atomic():
        cs = _open_version(v)
        _clear_codes(cs)
        count = _flat_codes(cs, rows)
        _close_version(cs, count)
    return _loaded(cs)


# ------------------------------------------------------------------ MS-DRG


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text or text == ".":
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def load_msdrg(
    *,
    version: str = "v43",
    effective_from: dt.date = FY2026[0],
    effective_to: dt.date | None = FY2026[1],
    path: Path | None = None,
    skip_if_loaded: bool = False,
) -> CodeSet:
    """MS-DRG v43 from CMS FY2026 Table 5: title, MDC, MED/SURG, the relative
    weight (with the 10% cap applied, the one CMS pays on), GMLOS and AMLOS."""
    path = path or _package_file("drg", "data", "cms", "drg_weights.txt")
    sha = sha256_of(path)
    source = f"drg: {path.name} (CMS FY2026 Table 5)"
    if skip_if_loaded and (found := already_loaded(CodeSystem.MSDRG, version, source, sha)):
        return found
    drgs: list[dict] = []
    for raw in path.read_text(encoding="cp1252").splitlines():
        cols = raw.rstrip("\r\n").split("\t")
        if len(cols) < 10 or not cols[0].strip().isdigit():
            continue
        drg_type = cols[4].strip().upper()
        drgs.append(
            {
                "drg": cols[0].strip().zfill(3),
                "mdc": cols[3].strip(),
                "type": drg_type if drg_type in ("MED", "SURG") else "",
                "title": cols[5].strip().strip('"')[:300],
                "weight": _decimal(cols[7]) or _decimal(cols[6]),
                "gmlos": _decimal(cols[8]),
                "amlos": _decimal(cols[9]),
            }
        )
    if not drgs:
        raise CodeSetError(f"No MS-DRG rows were found in {path}.")
    label = f"MS-DRG {version} (CMS FY2026 Final Rule Table 5)"
    v = _Version(CodeSystem.MSDRG, version, label, effective_from, effective_to, source, sha)
    with transaction.atomic():
        cs = _open_version(v)
        Drg.objects.filter(code_set=cs)._raw_delete(Drg.objects.db)
        Drg.objects.bulk_create([Drg(code_set=cs, **row) for row in drgs], batch_size=BATCH)
        _close_version(cs, len(drgs))
    return _loaded(cs)


# ------------------------------------------------------------------ site files


@dataclass
class ImportRequest:
    """What a person asks for when importing a file."""

    data: bytes
    filename: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    label: str = ""

    def version_for(self, system: str, label: str) -> _Version:
        version = _checked_version(self.version)
        return _Version(
            system,
            version,
            self.label or f"{label} {version}",
            self.effective_from,
            self.effective_to,
            self.filename,
            sha256_of(self.data),
        )


def _checked_version(version: str) -> str:
    version = version.strip()
    if not version:
        raise CodeSetError("Give the version (e.g. 2026, 2026Q1).")
    if len(version) > 20:
        raise CodeSetError("The version is at most 20 characters.")
    return version


def check_import(
    kind: str,
    version: str,
    effective_from: dt.date,
    effective_to: dt.date | None,
    *,
    setting: str = "",
) -> None:
    """Refuse, before the file is read, an import that cannot succeed whatever it holds:
    the checks the import itself makes of its kind, setting, version and dates."""
    if kind not in IMPORTERS:
        raise CodeSetError(_unknown_kind(kind))
    if kind == "ncci_ptp":
        _setting(setting, NcciPair.Setting)
    elif kind == "mue":
        _setting(setting, MueLimit.Setting)
    _checked_version(version)
    _validate_dates(effective_from, effective_to)


def _unknown_kind(kind: str) -> str:
    return f"Unknown file kind {kind!r}; one of: {', '.join(IMPORTERS)}."


def _read(reader, data: bytes):
    try:
        return reader(data)
    except FileFormatError as exc:
        raise CodeSetError(str(exc)) from exc


def import_hcpcs(request: ImportRequest) -> list[CodeSet]:
    """The CMS HCPCS Level II file: its codes, and its modifiers when present.
    A code terminated before the version starts is kept, not billable."""
    parsed = _read(files.read_hcpcs, request.data)
    out = []
    start = request.effective_from

    def billable(row: files.CodeRow) -> bool:
        ended = row.flags.get("terminated")
        return not (ended and dt.date.fromisoformat(ended) < start)

    with transaction.atomic():
        for system, rows, label in (
            (CodeSystem.HCPCS, parsed.codes, "HCPCS Level II"),
            (CodeSystem.MODIFIER, parsed.modifiers, "Modifiers"),
        ):
            if not rows:
                continue
            cs = _open_version(request.version_for(system, label))
            _clear_codes(cs)
            _close_version(cs, _flat_codes(cs, rows, billable=billable))
            out.append(cs)
    return [_loaded(cs) for cs in out]


def import_cpt(request: ImportRequest) -> CodeSet:
    """A licensee's AMA CPT data file (the project ships no CPT descriptors)."""
    rows = _read(files.read_cpt, request.data)
    v = request.version_for(CodeSystem.CPT, "CPT")
    with transaction.atomic():
        cs = _open_version(v)
        _clear_codes(cs)
        _close_version(cs, _flat_codes(cs, rows))
    return _loaded(cs)


def import_modifiers(request: ImportRequest) -> CodeSet:
    rows = _read(files.read_modifiers, request.data)
    v = request.version_for(CodeSystem.MODIFIER, "Modifiers")
    with transaction.atomic():
        cs = _open_version(v)
        _clear_codes(cs)
        _close_version(cs, _flat_codes(cs, rows))
    return _loaded(cs)


def _setting(value: str, choices) -> str:
    value = (value or "").strip().lower()
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise CodeSetError(f"The setting {value!r} is not one of: {allowed}.")
    return value


def import_ncci_ptp(request: ImportRequest, *, setting: str) -> CodeSet:
    """One NCCI PTP file (practitioner or hospital) into the version's pairs.
    Re-importing a setting replaces that setting's pairs only."""
    setting = _setting(setting, NcciPair.Setting)
    rows = _read(files.read_ncci_ptp, request.data)
    v = request.version_for(CodeSystem.NCCI_PTP, "NCCI PTP")
    with transaction.atomic():
        cs = _open_version(v)
        NcciPair.objects.filter(code_set=cs, setting=setting)._raw_delete(NcciPair.objects.db)
        NcciPair.objects.bulk_create(
            [
                NcciPair(
                    code_set=cs,
                    setting=setting,
                    column1=r.column1,
                    column2=r.column2,
                    effective_from=r.effective_from,
                    effective_to=r.effective_to,
                    modifier_indicator=r.modifier_indicator,
                    rationale=r.rationale,
                )
                for r in rows
            ],
            batch_size=BATCH,
        )
        _close_version(cs, NcciPair.objects.filter(code_set=cs).count())
    return _loaded(cs)


def import_mue(request: ImportRequest, *, setting: str) -> CodeSet:
    """One NCCI MUE file (practitioner, hospital or DME) into the version's limits."""
    setting = _setting(setting, MueLimit.Setting)
    rows = _read(files.read_mue, request.data)
    v = request.version_for(CodeSystem.NCCI_MUE, "NCCI MUE")
    with transaction.atomic():
        cs = _open_version(v)
        MueLimit.objects.filter(code_set=cs, setting=setting)._raw_delete(MueLimit.objects.db)
        MueLimit.objects.bulk_create(
            [
                MueLimit(
                    code_set=cs,
                    setting=setting,
                    code=r.code,
                    units=r.units,
                    adjudication_indicator=r.adjudication_indicator,
                    rationale=r.rationale,
                )
                for r in rows
            ],
            batch_size=BATCH,
        )
        _close_version(cs, MueLimit.objects.filter(code_set=cs).count())
    return _loaded(cs)


IMPORTERS = {
    "hcpcs": "HCPCS Level II annual file (CMS)",
    "cpt": "CPT data file (AMA licensee)",
    "modifiers": "Modifiers (code,descriptor CSV)",
    "ncci_ptp": "NCCI procedure-to-procedure edits (CMS, quarterly)",
    "mue": "NCCI medically unlikely edits (CMS, quarterly)",
}


def run_import(kind: str, request: ImportRequest, *, setting: str = "") -> list[CodeSet]:
    """One entry point for the command, the page and the API: the import, and
    its trail row (who loaded which file into which version, or why not)."""
    detail = {
        "kind": kind,
        "file": request.filename[:200],
        "sha256": sha256_of(request.data),
        "version": request.version,
        "setting": setting,
    }
    try:
        loaded = _run_import(kind, request, setting=setting)
    except CodeSetError as exc:
        trail.record(
            trail.Action.CREATE,
            object_type="coding.codeset",
            outcome=trail.Outcome.FAILURE,
            reason=str(exc)[:500],
            detail=detail,
        )
        raise
    for cs in loaded:
        trail.record(
            trail.Action.CREATE,
            obj=cs,
            detail={**detail, "system": cs.system, "item_count": cs.item_count},
        )
    return loaded


def record_load(cs: CodeSet) -> None:
    """The trail row of a packaged load (ICD-10-CM, PCS, MS-DRG)."""
    trail.record(
        trail.Action.CREATE,
        obj=cs,
        detail={
            "system": cs.system,
            "version": cs.version,
            "source": cs.source,
            "sha256": cs.source_sha256,
            "item_count": cs.item_count,
        },
    )


def _run_import(kind: str, request: ImportRequest, *, setting: str = "") -> list[CodeSet]:
    if kind == "hcpcs":
        return import_hcpcs(request)
    if kind == "cpt":
        return [import_cpt(request)]
    if kind == "modifiers":
        return [import_modifiers(request)]
    if kind == "ncci_ptp":
        return [import_ncci_ptp(request, setting=setting)]
    if kind == "mue":
        return [import_mue(request, setting=setting)]
    raise CodeSetError(_unknown_kind(kind))


def display(code: Code) -> str:
    return dotted(code.code, code.code_set.system)
