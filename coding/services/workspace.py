"""Writes of the coding workspace: save a draft, resequence, validate, group,
finalize and reopen an encounter's codes.

The coder's input is a plain dict (the same shape for the web form and the
API, see ``CodesInput``). ``parse_input`` checks every field before anything
is written and raises ``InputErrors`` with one message per field or line, so
a form or API can give the input back with the messages beside it.

Two coders editing the same chart: each save names the ``version`` (a
fingerprint of the codes) it started from; a save against codes someone else
changed meanwhile is refused with ``Conflict`` instead of overwriting them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

import orjson
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coding import edits as edit_engine
from coding import hooks
from coding.claim import Claim, Dx, Px, Service, claim_of
from coding.models import (
    MAX_DIAGNOSES,
    MAX_PROCEDURES,
    Code,
    CodeSet,
    CodeSystem,
    DiagnosisLine,
    EncounterCoding,
    ProcedureLine,
    ServiceLine,
    dotted,
    undotted,
)
from coding.services import grouping
from him import trail
from records.models import Provider

MAX_SERVICES = 50
MAX_MODIFIERS = 4
MAX_POINTERS = 4
MAX_UNITS = 9999
PRE_ADMISSION_DAYS = 3  # procedures may be dated in the payment window before admission

POA_VALUES = tuple(DiagnosisLine.POA.values)

_PATTERNS = {
    CodeSystem.ICD10CM: re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$"),
    CodeSystem.ICD10PCS: re.compile(r"^[0-9A-HJ-NP-Z]{7}$"),
    CodeSystem.CPT: re.compile(r"^[0-9]{4}[0-9A-Z]$"),
    CodeSystem.HCPCS: re.compile(r"^[A-V][0-9]{4}$"),
}
_MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
_LABELS = {
    CodeSystem.ICD10CM: "an ICD-10-CM diagnosis",
    CodeSystem.ICD10PCS: "an ICD-10-PCS procedure",
    CodeSystem.CPT: "a CPT code",
    CodeSystem.HCPCS: "a HCPCS code",
}


class WorkspaceError(Exception):
    """A refusal a coder can act on."""


class InputErrors(WorkspaceError):
    """Field errors: ``errors`` maps "diagnoses.2.code", "procedures", ... to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


class Conflict(WorkspaceError):
    """The codes changed since the coder loaded them."""


class FinalizeBlocked(WorkspaceError):
    def __init__(self, edits: list, problems: list[str], grouping_problem: str = ""):
        self.edits = edits
        self.problems = problems
        self.grouping_problem = grouping_problem
        parts = [e.message for e in edits] + list(problems)
        if grouping_problem:
            parts.append(grouping_problem)
        super().__init__("Cannot finalize: " + " ".join(parts))


# The coder's input ------------------------------------------------------------------------


@dataclass
class CodesInput:
    """The whole code set of an encounter as a coder submits it (strings kept as typed)."""

    diagnoses: list[dict] = field(default_factory=list)  # {code, poa}
    procedures: list[dict] = field(default_factory=list)  # {code, performed_on, provider}
    services: list[dict] = field(default_factory=list)
    # services: {code, modifiers, units, pointers, service_date, provider}
    admitting_dx: str = ""
    reason_for_visit: str = ""
    version: str = ""

    def as_dict(self) -> dict:
        return {
            "diagnoses": self.diagnoses,
            "procedures": self.procedures,
            "services": self.services,
            "admitting_dx": self.admitting_dx,
            "reason_for_visit": self.reason_for_visit,
            "version": self.version,
        }


@dataclass
class Parsed:
    """Checked input, ready to write: codes undotted, dates and providers resolved."""

    diagnoses: list[dict]
    procedures: list[dict]
    services: list[dict]
    admitting_dx: str
    reason_for_visit: str
    titles: dict[tuple[str, str], str]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _split(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [_text(v) for v in value if _text(v)]
    return [p.strip() for p in _text(value).replace(" ", ",").split(",") if p.strip()]


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    return dt.date.fromisoformat(text)


def input_of(coding: EncounterCoding) -> CodesInput:
    """The saved codes as input (what the form shows before the coder changes anything)."""
    dxs = list(coding.diagnoses.order_by("sequence"))
    pxs = list(coding.procedures.select_related("provider").order_by("sequence"))
    svcs = list(coding.services.select_related("provider").order_by("sequence"))
    return CodesInput(
        diagnoses=[{"code": dotted(d.code, CodeSystem.ICD10CM), "poa": d.poa} for d in dxs],
        procedures=[
            {
                "code": p.code,
                "performed_on": p.performed_on.isoformat() if p.performed_on else "",
                "provider": p.provider.npi if p.provider else "",
            }
            for p in pxs
        ],
        services=[
            {
                "code": s.code,
                "modifiers": s.modifiers,
                "units": str(s.units),
                "pointers": s.diagnosis_pointers,
                "service_date": s.service_date.isoformat() if s.service_date else "",
                "provider": s.provider.npi if s.provider else "",
            }
            for s in svcs
        ],
        admitting_dx=dotted(coding.admitting_dx, CodeSystem.ICD10CM),
        reason_for_visit=dotted(coding.reason_for_visit, CodeSystem.ICD10CM),
        version=codes_version(coding),
    )


def input_from_data(data: dict) -> CodesInput:
    """A ``CodesInput`` from JSON-like data; shapes are forgiving, values checked by parse."""

    def rows(key):
        value = data.get(key) or []
        return [dict(r) for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    return CodesInput(
        diagnoses=rows("diagnoses"),
        procedures=rows("procedures"),
        services=rows("services"),
        admitting_dx=_text(data.get("admitting_dx")),
        reason_for_visit=_text(data.get("reason_for_visit")),
        version=_text(data.get("version")),
    )


def _blank(row: dict) -> bool:
    return not _text(row.get("code"))


def compact(data: CodesInput) -> CodesInput:
    """Drop rows left without a code (an added row never filled in)."""
    return replace(
        data,
        diagnoses=[r for r in data.diagnoses if not _blank(r)],
        procedures=[r for r in data.procedures if not _blank(r)],
        services=[r for r in data.services if not _blank(r)],
    )


def _lookup(systems, codes: set[str], on: dt.date) -> tuple[dict, dict]:
    """(code -> (system, title, billable) for the systems in force on ``on``, missing sets)."""
    found: dict[str, tuple[str, str, bool]] = {}
    missing: dict[str, bool] = {}
    for system in systems:
        code_set = CodeSet.for_date(system, on)
        missing[system] = code_set is None
        if code_set is None or not codes:
            continue
        rows = Code.objects.filter(
            code_set=code_set, code__in=codes, kind__in=(Code.Kind.CATEGORY, Code.Kind.CODE)
        ).values_list("code", "title", "billable")
        for code, title, billable in rows:
            found.setdefault(code, (system, title, billable))
    return found, missing


def parse_input(coding: EncounterCoding, data: CodesInput) -> Parsed:
    """Check every field of ``data`` against the encounter; raise ``InputErrors``."""
    encounter = coding.encounter
    inpatient = encounter.encounter_class == "inpatient"
    on = (encounter.discharge_at or encounter.admit_at).date()
    admit = encounter.admit_at.date()
    discharge = encounter.discharge_at.date() if encounter.discharge_at else None
    errors: dict[str, list[str]] = {}

    def err(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    data = compact(data)
    dx_codes = [undotted(_text(r.get("code"))) for r in data.diagnoses]
    px_codes = [undotted(_text(r.get("code"))) for r in data.procedures]
    svc_codes = [undotted(_text(r.get("code"))) for r in data.services]
    admitting = undotted(data.admitting_dx)
    reason = undotted(data.reason_for_visit)

    if len(dx_codes) > MAX_DIAGNOSES:
        err(
            "diagnoses",
            f"At most {MAX_DIAGNOSES} diagnoses (principal and {MAX_DIAGNOSES - 1} secondary); "
            f"this has {len(dx_codes)}.",
        )
    if len(px_codes) > MAX_PROCEDURES:
        err("procedures", f"At most {MAX_PROCEDURES} procedures; this has {len(px_codes)}.")
        for i in range(MAX_PROCEDURES, len(px_codes)):
            err(f"procedures.{i + 1}.code", f"Procedure {i + 1} is over the limit of 25.")
    if len(svc_codes) > MAX_SERVICES:
        err("services", f"At most {MAX_SERVICES} service lines; this has {len(svc_codes)}.")
    if inpatient and data.services:
        err(
            "services",
            "An inpatient stay is coded with ICD-10-PCS procedures, not CPT/HCPCS service lines.",
        )
    if not inpatient and data.procedures:
        err(
            "procedures",
            "An outpatient visit is coded with CPT/HCPCS service lines, not ICD-10-PCS procedures.",
        )
    if not inpatient and admitting:
        err("admitting_dx", "An admitting diagnosis is reported for inpatient stays only.")
    if inpatient and reason:
        err("reason_for_visit", "A reason for visit is reported for outpatient visits only.")

    everything = {c for c in [*dx_codes, *px_codes, *svc_codes, admitting, reason] if c}
    all_systems = (CodeSystem.ICD10CM, CodeSystem.ICD10PCS, CodeSystem.CPT, CodeSystem.HCPCS)
    found, missing = _lookup(all_systems, everything, on)
    titles: dict[tuple[str, str], str] = {}

    def check_code(key: str, code: str, wanted: tuple[str, ...]) -> None:
        what = " or ".join(_LABELS[s] for s in wanted)
        if not any(_PATTERNS[s].match(code) for s in wanted):
            hint = ""
            for other, pattern in _PATTERNS.items():
                if other not in wanted and pattern.match(code):
                    hint = f" It looks like {_LABELS[other]}."
                    break
            err(key, f"{code} is not {what} code.{hint}")
            return
        hit = found.get(code)
        if hit is not None and hit[0] in wanted:
            titles[(hit[0], code)] = hit[1]
            return
        if all(missing.get(s) for s in wanted):
            names = " / ".join(CodeSystem(s).label for s in wanted)
            err(key, f"No {names} code set is loaded for {on:%Y-%m-%d}; ask to have it loaded.")
            return
        if hit is not None:
            err(key, f"{code} is {_LABELS[hit[0]]} code, not {what} code.")
            return
        err(key, f"{code} is not {what} code in force on {on:%Y-%m-%d}.")

    diagnoses = []
    for i, (row, code) in enumerate(zip(data.diagnoses, dx_codes, strict=True), start=1):
        check_code(f"diagnoses.{i}.code", code, (CodeSystem.ICD10CM,))
        poa = _text(row.get("poa")).upper()
        if poa and poa not in POA_VALUES:
            err(f"diagnoses.{i}.poa", f"POA {poa!r} is not one of {', '.join(POA_VALUES)}.")
        if poa and not inpatient:
            err(f"diagnoses.{i}.poa", "POA is reported for inpatient stays only.")
        diagnoses.append({"code": code, "poa": poa, "sequence": i})

    if admitting:
        check_code("admitting_dx", admitting, (CodeSystem.ICD10CM,))
    if reason:
        check_code("reason_for_visit", reason, (CodeSystem.ICD10CM,))

    npis = {_text(r.get("provider")) for r in [*data.procedures, *data.services]} - {""}
    providers = {p.npi: p for p in Provider.objects.filter(npi__in=npis)} if npis else {}

    def check_provider(key: str, value) -> Provider | None:
        npi = _text(value)
        if not npi:
            return None
        provider = providers.get(npi)
        if provider is None:
            err(key, f"No provider with NPI {npi}.")
        return provider

    def check_date(key: str, value, what: str) -> dt.date | None:
        try:
            day = _date(value)
        except (ValueError, TypeError):
            err(key, f"{what}: {_text(value)!r} is not a date (YYYY-MM-DD).")
            return None
        if day is None:
            return None
        if day < admit - dt.timedelta(days=PRE_ADMISSION_DAYS) or (discharge and day > discharge):
            end = f"{discharge:%Y-%m-%d}" if discharge else "now"
            err(key, f"{what} {day:%Y-%m-%d} is outside the encounter ({admit:%Y-%m-%d}–{end}).")
        if day > timezone.localdate():
            err(key, f"{what} {day:%Y-%m-%d} is in the future.")
        return day

    procedures = []
    for i, (row, code) in enumerate(zip(data.procedures, px_codes, strict=True), start=1):
        if i > MAX_PROCEDURES:
            break
        check_code(f"procedures.{i}.code", code, (CodeSystem.ICD10PCS,))
        procedures.append(
            {
                "code": code,
                "sequence": i,
                "performed_on": check_date(
                    f"procedures.{i}.performed_on", row.get("performed_on"), "Procedure date"
                ),
                "provider": check_provider(f"procedures.{i}.provider", row.get("provider")),
            }
        )

    services = []
    for i, (row, code) in enumerate(zip(data.services, svc_codes, strict=True), start=1):
        check_code(f"services.{i}.code", code, (CodeSystem.CPT, CodeSystem.HCPCS))
        modifiers = [m.upper() for m in _split(row.get("modifiers"))]
        if len(modifiers) > MAX_MODIFIERS:
            err(f"services.{i}.modifiers", f"At most {MAX_MODIFIERS} modifiers per line.")
        for m in modifiers:
            if not _MODIFIER.match(m):
                err(f"services.{i}.modifiers", f"Modifier {m!r} is not two letters or digits.")
        units_text = _text(row.get("units")) or "1"
        units = 1
        if not units_text.isdigit() or not 1 <= int(units_text) <= MAX_UNITS:
            err(f"services.{i}.units", f"Units must be a whole number from 1 to {MAX_UNITS}.")
        else:
            units = int(units_text)
        pointers: list[int] = []
        for p in _split(row.get("pointers")):
            if not p.isdigit():
                err(f"services.{i}.pointers", f"Pointer {p!r} is not a diagnosis number.")
            elif not 1 <= int(p) <= len(dx_codes):
                err(
                    f"services.{i}.pointers",
                    f"Pointer {p} names no diagnosis (there are {len(dx_codes)}).",
                )
            else:
                pointers.append(int(p))
        if len(pointers) > MAX_POINTERS:
            err(f"services.{i}.pointers", f"At most {MAX_POINTERS} diagnosis pointers per line.")
        services.append(
            {
                "code": code,
                "sequence": i,
                "modifiers": modifiers,
                "units": units,
                "pointers": pointers,
                "service_date": check_date(
                    f"services.{i}.service_date", row.get("service_date"), "Service date"
                ),
                "provider": check_provider(f"services.{i}.provider", row.get("provider")),
            }
        )

    if errors:
        raise InputErrors(errors)
    return Parsed(diagnoses, procedures, services, admitting, reason, titles)


def claim_with(coding: EncounterCoding, parsed: Parsed) -> Claim:
    """The claim the coder has on screen (not saved): for live validate and what-if."""
    base = claim_of_header(coding)
    return replace(
        base,
        diagnoses=tuple(
            Dx(code=d["code"], poa=d["poa"], sequence=d["sequence"]) for d in parsed.diagnoses
        ),
        procedures=tuple(
            Px(code=p["code"], performed_on=p["performed_on"], sequence=p["sequence"])
            for p in parsed.procedures
        ),
        services=tuple(
            Service(
                code=s["code"],
                modifiers=tuple(s["modifiers"]),
                units=s["units"],
                pointers=tuple(s["pointers"]),
                service_date=s["service_date"],
                sequence=s["sequence"],
            )
            for s in parsed.services
        ),
        admitting_dx=parsed.admitting_dx,
        reason_for_visit=parsed.reason_for_visit,
    )


def claim_of_header(coding: EncounterCoding) -> Claim:
    """The encounter facts of the claim without reading any line."""
    from coding.claim import age_on

    encounter = coding.encounter
    admit = encounter.admit_at.date()
    return Claim(
        inpatient=encounter.encounter_class == "inpatient",
        encounter_class=encounter.encounter_class,
        sex=encounter.patient.sex,
        age=age_on(encounter.patient.birth_date, admit),
        admit_date=admit,
        discharge_date=encounter.discharge_at.date() if encounter.discharge_at else None,
        disposition=encounter.discharge_disposition or "",
        coding_id=coding.pk,
    )


# The version fingerprint ------------------------------------------------------------------


def codes_version(coding: EncounterCoding) -> str:
    """A fingerprint of the saved codes and status: changes whenever someone saves a change."""
    # The header is read again: the caller's instance may predate another save.
    header = EncounterCoding.objects.filter(pk=coding.pk).values_list(
        "status", "admitting_dx", "reason_for_visit"
    )
    rows = [
        list(header.first() or ()),
        list(coding.diagnoses.order_by("sequence").values_list("sequence", "code", "poa")),
        [
            (s, c, d.isoformat() if d else "", p)
            for s, c, d, p in coding.procedures.order_by("sequence").values_list(
                "sequence", "code", "performed_on", "provider_id"
            )
        ],
        [
            (s, c, m, u, ptr, d.isoformat() if d else "", p)
            for s, c, m, u, ptr, d, p in coding.services.order_by("sequence").values_list(
                "sequence",
                "code",
                "modifiers",
                "units",
                "diagnosis_pointers",
                "service_date",
                "provider_id",
            )
        ],
    ]
    return hashlib.sha256(orjson.dumps(rows)).hexdigest()[:16]


def _locked(coding: EncounterCoding, version: str) -> EncounterCoding:
    """The coding row locked for this transaction; ``Conflict`` if it moved on."""
    fresh = (
        EncounterCoding.objects.select_for_update()
        .select_related("encounter", "encounter__patient")
        .get(pk=coding.pk)
    )
    if version and version != codes_version(fresh):
        raise Conflict(
            "Someone else changed these codes since you opened them. Your changes are not "
            "saved: reload the workspace to see their version, then make your changes again."
        )
    return fresh


# Saving -----------------------------------------------------------------------------------


def _stamp(obj, user, reason: str) -> None:
    obj._change_reason = reason[:100]
    if user is not None and getattr(user, "is_authenticated", False):
        obj._history_user = user


def _sync_lines(model, coding, wanted: list[dict], fields: tuple[str, ...], user, reason: str):
    """Make ``coding``'s lines of ``model`` equal ``wanted`` (by sequence); count changes."""
    existing = {line.sequence: line for line in model.objects.filter(coding=coding)}
    changed = 0
    for row in wanted:
        line = existing.pop(row["sequence"], None)
        values = {f: row[f] for f in fields}
        if line is None:
            line = model(coding=coding, sequence=row["sequence"], **values)
        elif all(getattr(line, f) == v for f, v in values.items()):
            continue
        else:
            for f, v in values.items():
                setattr(line, f, v)
        _stamp(line, user, reason)
        line.save()
        changed += 1
    for line in existing.values():
        _stamp(line, user, reason)
        line.delete()
        changed += 1
    return changed


def encounter_coding_save(
    *, coding: EncounterCoding, data: CodesInput, user, reason: str = "draft saved"
) -> EncounterCoding:
    """Save ``data`` as the encounter's codes (a draft). Refused on a final coding."""
    parsed = parse_input(coding, data)
    with transaction.atomic():
        fresh = _locked(coding, data.version)
        if fresh.is_final:
            raise WorkspaceError(
                "These codes are final. Reopen them (with a reason) before changing them."
            )
        changed = _sync_lines(DiagnosisLine, fresh, parsed.diagnoses, ("code", "poa"), user, reason)
        changed += _sync_lines(
            ProcedureLine,
            fresh,
            parsed.procedures,
            ("code", "performed_on", "provider"),
            user,
            reason,
        )
        services = [
            {
                **s,
                "modifiers": ",".join(s["modifiers"]),
                "diagnosis_pointers": ",".join(str(p) for p in s["pointers"]),
            }
            for s in parsed.services
        ]
        changed += _sync_lines(
            ServiceLine,
            fresh,
            services,
            ("code", "modifiers", "units", "diagnosis_pointers", "service_date", "provider"),
            user,
            reason,
        )
        header_changed = (fresh.admitting_dx, fresh.reason_for_visit) != (
            parsed.admitting_dx,
            parsed.reason_for_visit,
        )
        fresh.admitting_dx = parsed.admitting_dx
        fresh.reason_for_visit = parsed.reason_for_visit
        if fresh.status == EncounterCoding.Status.NOT_STARTED:
            fresh.status = EncounterCoding.Status.DRAFT
            header_changed = True
        if changed or header_changed:
            _regroup(fresh)
            _stamp(fresh, user, reason)
            fresh.save()
            trail.record(
                trail.Action.UPDATE,
                obj=fresh,
                reason=reason,
                detail={"op": "save", "lines_changed": changed},
                user=user,
            )
            hooks.fire(hooks.CODES_CHANGED, coding=fresh, user=user)
    return fresh


def _regroup(coding: EncounterCoding, claim: Claim | None = None) -> dict | None:
    """Refresh the working DRG from the saved codes (cleared when it cannot be grouped)."""
    claim = claim or claim_of(coding)
    result = None
    if claim.inpatient and claim.principal is not None:
        try:
            result = grouping.group(claim)
        except grouping.GroupingError:
            result = None
    if result and result["drg"]:
        coding.grouper_version = result["version"]
        coding.working_drg = result["drg"]
        coding.working_mdc = result["mdc"]
        coding.working_weight = result["weight"]
    else:
        coding.working_drg = coding.working_mdc = ""
        coding.working_weight = None
    coding.grouped_at = timezone.now()
    return result


# Resequencing -----------------------------------------------------------------------------

KINDS = {"dx": "diagnoses", "px": "procedures", "svc": "services"}


def resequence(data: CodesInput, *, kind: str, index: int, op: str) -> CodesInput:
    """``data`` with one line moved: ``op`` is up, down, principal (first) or remove.

    ``index`` is 1-based. Moving diagnoses renumbers the service lines' pointers
    so they keep naming the same diagnoses (a pointer to a removed one is dropped).
    """
    rows = list(getattr(data, KINDS[kind]))
    if not 1 <= index <= len(rows):
        raise WorkspaceError(f"There is no line {index} to move.")
    order = list(range(len(rows)))  # new position -> old index
    i = index - 1
    if op == "up" and i > 0:
        order[i - 1], order[i] = order[i], order[i - 1]
    elif op == "down" and i < len(rows) - 1:
        order[i + 1], order[i] = order[i], order[i + 1]
    elif op == "principal":
        order = [i, *[j for j in order if j != i]]
    elif op == "remove":
        order = [j for j in order if j != i]
    elif op not in ("up", "down"):
        raise WorkspaceError(f"Unknown move {op!r}.")
    new = replace(data, **{KINDS[kind]: [rows[j] for j in order]})
    if kind == "dx":
        renumber = {old + 1: pos + 1 for pos, old in enumerate(order)}
        services = []
        for s in new.services:
            pointers = [renumber.get(int(p)) for p in _split(s.get("pointers")) if p.isdigit()]
            services.append({**s, "pointers": ",".join(str(p) for p in pointers if p)})
        new = replace(new, services=services)
    return new


def encounter_coding_resequence(
    *, coding: EncounterCoding, kind: str, index: int, op: str, user, version: str = ""
) -> EncounterCoding:
    """Move one saved line (make principal, up, down) and save."""
    data = input_of(coding)
    moved = resequence(data, kind=kind, index=index, op=op)
    moved.version = version or data.version
    return encounter_coding_save(
        coding=coding, data=moved, user=user, reason=f"{KINDS[kind]} {index}: {op}"
    )


# Validate, group ------------------------------------------------------------------------


def encounter_coding_validate(*, coding: EncounterCoding, claim: Claim | None = None) -> list:
    """The edits of the saved codes (or of ``claim``, the unsaved ones)."""
    saved = claim is None
    claim = claim or claim_of(coding)
    found = edit_engine.run(claim)
    if saved:
        EncounterCoding.objects.filter(pk=coding.pk).update(validated_at=timezone.now())
    return found


def encounter_coding_group(
    *, coding: EncounterCoding, claim: Claim | None = None, what_ifs=(), suggest: bool = False
) -> dict:
    """Group the saved codes (keeping the working DRG) or ``claim`` (nothing kept)."""
    saved = claim is None
    claim = claim or claim_of(coding)
    result = grouping.group(claim)
    changes = [grouping.what_if(claim, c, base=result) for c in what_ifs]
    if suggest:
        changes += grouping.suggested_what_ifs(claim, result)
    result["what_if"] = changes
    if saved and not coding.is_final and result["drg"]:
        EncounterCoding.objects.filter(pk=coding.pk).update(
            grouper_version=result["version"],
            working_drg=result["drg"],
            working_mdc=result["mdc"],
            working_weight=result["weight"],
            grouped_at=timezone.now(),
        )
    return result


# Finalize, reopen -------------------------------------------------------------------------


def encounter_coding_finalize(
    *, coding: EncounterCoding, user, version: str = ""
) -> EncounterCoding:
    """Lock the codes and keep the final DRG; refused while an error edit or a
    FINALIZE_CHECKS problem stands."""
    if not user.has_perm("coding.finalize_encountercoding"):
        raise PermissionDenied("Your role may not finalize codes.")
    with transaction.atomic():
        fresh = _locked(coding, version)
        if fresh.is_final:
            raise WorkspaceError("These codes are already final.")
        claim = claim_of(fresh)
        if not claim.diagnoses:
            raise WorkspaceError("Add the diagnoses before finalizing.")
        blocking = [e for e in edit_engine.run(claim) if e.blocks]
        problems = [str(p) for p in hooks.collect(hooks.FINALIZE_CHECKS, coding=fresh)]
        result, grouping_problem = None, ""
        if claim.inpatient:
            try:
                result = grouping.group(claim)
                if not result["ok"]:
                    grouping_problem = result["message"]
            except grouping.GroupingError as exc:
                grouping_problem = str(exc)
        if blocking or problems or grouping_problem:
            raise FinalizeBlocked(blocking, problems, grouping_problem)
        now = timezone.now()
        if result is not None:
            fresh.grouper_version = result["version"]
            fresh.working_drg = fresh.final_drg = result["drg"]
            fresh.working_mdc = result["mdc"]
            fresh.working_weight = fresh.final_weight = result["weight"]
            fresh.grouped_at = now
        fresh.status = EncounterCoding.Status.FINAL
        fresh.validated_at = fresh.finalized_at = now
        fresh.finalized_by = user
        _stamp(fresh, user, "finalized")
        fresh.save()
        trail.record(
            trail.Action.UPDATE,
            obj=fresh,
            reason="finalized",
            detail={"op": "finalize", "drg": fresh.final_drg},
            user=user,
        )
        hooks.fire(hooks.FINALIZED, coding=fresh, user=user)
    return fresh


MIN_REASON = 5


def encounter_coding_reopen(*, coding: EncounterCoding, user, reason: str) -> EncounterCoding:
    if not user.has_perm("coding.finalize_encountercoding"):
        raise PermissionDenied("Your role may not reopen final codes.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InputErrors({"reason": ["Say why the final codes must change (a reason is kept)."]})
    with transaction.atomic():
        fresh = _locked(coding, "")
        if not fresh.is_final:
            raise WorkspaceError("These codes are not final; there is nothing to reopen.")
        fresh.status = EncounterCoding.Status.DRAFT
        fresh.reopened_at = timezone.now()
        fresh.reopen_reason = reason
        _stamp(fresh, user, f"reopened: {reason}")
        fresh.save()
        trail.record(
            trail.Action.UPDATE,
            obj=fresh,
            reason=reason,
            detail={"op": "reopen"},
            user=user,
        )
        hooks.fire(hooks.REOPENED, coding=fresh, user=user, reason=reason)
    return fresh


# History ----------------------------------------------------------------------------------


def history(coding: EncounterCoding, limit: int = 300) -> list[dict]:
    """Who changed what and when, newest first: the coding row and each line."""
    out = []

    def add(records, what):
        for h in records:
            prev = h.prev_record
            changes = []
            if prev is not None and h.history_type == "~":
                delta = h.diff_against(prev)
                changes = [f"{c.field}: {c.old or '—'} → {c.new or '—'}" for c in delta.changes]
            out.append(
                {
                    "at": h.history_date,
                    "user": h.history_user,
                    "what": what(h),
                    "type": {"+": "added", "~": "changed", "-": "removed"}[h.history_type],
                    "changes": changes,
                    "reason": h.history_change_reason or "",
                }
            )

    add(coding.history.all()[:limit], lambda h: "coding")
    add(
        DiagnosisLine.history.filter(coding_id=coding.pk)[:limit],
        lambda h: (
            f"diagnosis {h.sequence}: {dotted(h.code, CodeSystem.ICD10CM)}"
            + (f" POA {h.poa}" if h.poa else "")
        ),
    )
    add(
        ProcedureLine.history.filter(coding_id=coding.pk)[:limit],
        lambda h: f"procedure {h.sequence}: {h.code}",
    )
    add(
        ServiceLine.history.filter(coding_id=coding.pk)[:limit],
        lambda h: f"service {h.sequence}: {h.code}",
    )
    out.sort(key=lambda r: r["at"], reverse=True)
    return out[:limit]


def weight_text(value) -> str:
    return f"{Decimal(value):.4f}" if value is not None else ""
