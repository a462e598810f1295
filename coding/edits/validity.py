"""Is each code a valid, complete code of the right code set on the discharge date?

Diagnoses: malformed, from the wrong code set, not in the ICD-10-CM version in
force (and when it is valid, if another loaded version has it), header codes
(with their billable children offered), 7th character missing or not allowed,
placeholder X needed. Procedures (ICD-10-PCS) and services (CPT/HCPCS): shape,
code set, validity on the date.

A 7-character code is valid when the code set holds it, or (the tabular does
not list every 7th-character extension) when its 6-character base, or the leaf
it pads with placeholder X, is in the code set and the nearest ancestor that
defines 7th characters allows its last character (``coding.edits.resolve``).
"""

from __future__ import annotations

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.facts import claim_facts
from coding.edits.lookup import (
    CM_SHAPE,
    CPT_SHAPE,
    HCPCS_SHAPE,
    PCS_SHAPE,
    SERVICE_SYSTEMS,
    clean,
    cm,
    found_elsewhere,
    other_versions,
    pad_placeholder,
)
from coding.edits.resolve import Resolved
from coding.models import CodeSystem


def resolve_dx(ctx: EditContext) -> dict[str, Resolved]:
    """Every distinct diagnosis code of the claim, resolved."""
    return {code: f.resolved for code, f in claim_facts(ctx).dx.items()}


def _a(label: str) -> str:
    return f"{'an' if label[:1] in 'AEIOU' else 'a'} {label}"


def _versions_text(sets) -> str:
    spans = []
    for cs in sets:
        end = cs.effective_to.isoformat() if cs.effective_to else "today"
        spans.append(f"{cs.version} ({cs.effective_from.isoformat()} to {end})")
    return ", ".join(spans)


def _dx_lines(claim: Claim, lines):
    """(line, code, where) of each diagnosis line, the admitting and reason for visit."""
    for i, code, _ in lines:
        yield f"dx:{i}", code, ("principal" if i == 1 and claim.inpatient else f"#{i}")
    if claim.admitting_dx:
        yield "admitting", clean(claim.admitting_dx), "admitting"
    if claim.reason_for_visit:
        yield "reason", clean(claim.reason_for_visit), "reason for visit"


@register("cm_validity")
def check_diagnosis_codes(claim: Claim, ctx: EditContext):
    has_dx = bool(claim.diagnoses or claim.admitting_dx or claim.reason_for_visit)
    if not has_dx:
        return
    facts = claim_facts(ctx)
    if facts.sets[CodeSystem.ICD10CM] is None:
        yield make(
            "CM-CODESET-MISSING",
            f"No ICD-10-CM code set is loaded for {claim.code_date.isoformat()}, so no "
            "diagnosis can be checked. Ask an administrator to load the code set in force on "
            "that date (manage.py load_codesets).",
        )
        return
    if facts.all_ok:
        return
    dx = facts.dx
    version = facts.sets[CodeSystem.ICD10CM].version
    not_valid = [code for code, f in dx.items() if f.resolved.status == "not_valid"]
    elsewhere = other_versions(ctx, CodeSystem.ICD10CM, not_valid) if not_valid else {}

    for line, code, where in _dx_lines(claim, facts.lines):
        f = dx.get(code)
        if f is None or f.resolved.ok:
            continue
        r = f.resolved
        shown = cm(code) if CM_SHAPE.match(code) else code
        if r.status == "malformed":
            yield make(
                "CM-MALFORMED",
                f"'{shown}' ({where}) is not an ICD-10-CM code: a code is a letter, a digit, "
                "then one to five letters or digits (e.g. E11.9). Check what was typed.",
                codes=(code,),
                line=line,
            )
        elif r.status == "wrong_set":
            yield make(
                "CM-WRONG-SET",
                f"{code} ({where}) is {_a(r.elsewhere)} code, not a diagnosis. Put procedures on "
                "procedure lines (ICD-10-PCS) or service lines (CPT/HCPCS) and code the "
                "diagnosis with ICD-10-CM.",
                codes=(code,),
                line=line,
            )
        elif r.status == "not_valid":
            versions = elsewhere.get(code, [])
            if versions:
                text = (
                    f"{shown} ({where}) is not valid in ICD-10-CM {version}, in force on "
                    f"{claim.code_date.isoformat()}. It is valid in {_versions_text(versions)}: "
                    "it was deleted or expanded; look up the current code."
                )
            else:
                text = (
                    f"{shown} ({where}) is not an ICD-10-CM code in {version} (in force on "
                    f"{claim.code_date.isoformat()}). Look the condition up in the index."
                )
            yield make("CM-NOT-VALID", text, codes=(code,), line=line)
        elif r.status == "header":
            offered = f.header_offered
            more = ""
            if offered:
                more = f" Billable codes under it include {', '.join(cm(c) for c in offered)}."
            yield make(
                "CM-HEADER",
                f"{shown} {r.title} ({where}) is a header, not a billable code: pick the "
                f"code with more characters that the documentation supports.{more}",
                codes=(code,),
                line=line,
                suggestions=offered,
            )
        elif r.status == "7th_missing":
            chars = ", ".join(f"{c} ({m})" for c, m in sorted(r.allowed.items()))
            placeholder = (
                f" Fill the empty positions with the placeholder X ({cm(pad_placeholder(code))}-)."
                if len(code) < 6
                else ""
            )
            yield make(
                "CM-7TH-MISSING",
                f"{shown} {r.title} ({where}) needs a 7th character: {chars}.{placeholder}",
                codes=(code,),
                line=line,
                suggestions=r.suggestions,
            )
        elif r.status == "7th_invalid":
            chars = ", ".join(f"{c} ({m})" for c, m in sorted(r.allowed.items()))
            yield make(
                "CM-7TH-INVALID",
                f"{shown} ({where}): 7th character '{code[6]}' is not allowed here. "
                f"Allowed: {chars}.",
                codes=(code,),
                line=line,
                suggestions=r.suggestions,
            )
        elif r.status == "placeholder":
            yield make(
                "CM-PLACEHOLDER-X",
                f"{shown} ({where}) is missing the placeholder X: the code is "
                f"{' or '.join(cm(s) for s in r.suggestions[:3])}"
                f"{' ...' if len(r.suggestions) > 3 else ''}.",
                codes=(code,),
                line=line,
                suggestions=r.suggestions,
            )


@register("pcs_validity")
def check_procedure_codes(claim: Claim, ctx: EditContext):
    if not claim.procedures:
        return
    facts = claim_facts(ctx)
    idx = facts.idx
    pcs = facts.sets[CodeSystem.ICD10PCS]
    rows = idx.other.get(CodeSystem.ICD10PCS, {})
    if pcs is not None and all(
        (row := rows.get(clean(p.code))) is not None and row.billable for p in claim.procedures
    ):
        return  # the usual claim: every code a billable code of the version in force
    checkable = []
    for i, p in enumerate(claim.procedures, start=1):
        code, line = clean(p.code), f"px:{i}"
        if not PCS_SHAPE.match(code):
            elsewhere = found_elsewhere(idx, code, skip=CodeSystem.ICD10PCS)
            if elsewhere is None and CM_SHAPE.match(code) and len(code) < 7:
                elsewhere = "ICD-10-CM diagnosis"
            if elsewhere is None and (CPT_SHAPE.match(code) or HCPCS_SHAPE.match(code)):
                elsewhere = "CPT/HCPCS"
            if elsewhere:
                yield make(
                    "PCS-WRONG-SET",
                    f"{code} (procedure {i}) is {_a(elsewhere)} code. Inpatient procedures are "
                    "coded with ICD-10-PCS (seven characters); CPT/HCPCS go on service lines, "
                    "diagnoses on diagnosis lines.",
                    codes=(code,),
                    line=line,
                )
            else:
                yield make(
                    "PCS-MALFORMED",
                    f"'{code}' (procedure {i}) is not an ICD-10-PCS code: seven letters or "
                    "digits, never I or O (e.g. 0DTJ4ZZ).",
                    codes=(code,),
                    line=line,
                )
            continue
        checkable.append((i, code, line))
    if not checkable:
        return
    if pcs is None:
        yield make(
            "PCS-CODESET-MISSING",
            f"No ICD-10-PCS code set is loaded for {claim.code_date.isoformat()}, so the "
            "procedures cannot be checked. Ask an administrator to load it.",
        )
        return
    missing = [code for _, code, _ in checkable if code not in rows or not rows[code].billable]
    versions = other_versions(ctx, CodeSystem.ICD10PCS, missing) if missing else {}
    for i, code, line in checkable:
        row = rows.get(code)
        if row is not None and row.billable:
            continue
        elsewhere = found_elsewhere(idx, code, skip=CodeSystem.ICD10PCS)
        if row is None and elsewhere:
            yield make(
                "PCS-WRONG-SET",
                f"{code} (procedure {i}) is {_a(elsewhere)} code, not an ICD-10-PCS procedure.",
                codes=(code,),
                line=line,
            )
            continue
        when = versions.get(code)
        extra = f" It is valid in {_versions_text(when)}." if when else ""
        yield make(
            "PCS-NOT-VALID",
            f"{code} (procedure {i}) is not a valid ICD-10-PCS code in {pcs.version} (in force "
            f"on {claim.code_date.isoformat()}).{extra} Build it again from the PCS tables.",
            codes=(code,),
            line=line,
        )


@register("svc_validity")
def check_service_codes(claim: Claim, ctx: EditContext):
    if not claim.services:
        return
    facts = claim_facts(ctx)
    idx, sets = facts.idx, facts.sets
    loaded = [s for s in SERVICE_SYSTEMS if sets[s] is not None]
    checkable = []
    for i, s in enumerate(claim.services, start=1):
        code, line = clean(s.code), f"svc:{i}"
        if CPT_SHAPE.match(code) or HCPCS_SHAPE.match(code):
            checkable.append((i, code, line))
            continue
        if PCS_SHAPE.match(code) or CM_SHAPE.match(code):
            kind = "ICD-10-PCS" if PCS_SHAPE.match(code) and len(code) == 7 else "ICD-10-CM"
            yield make(
                "SVC-WRONG-SET",
                f"{code} (service line {i}) looks like an {kind} code. Service lines take CPT "
                "or HCPCS codes; diagnoses go on diagnosis lines and are pointed to.",
                codes=(code,),
                line=line,
            )
        else:
            yield make(
                "SVC-MALFORMED",
                f"'{code}' (service line {i}) is not a CPT code (five characters, e.g. 99213) "
                "or a HCPCS Level II code (a letter and four digits, e.g. J1100).",
                codes=(code,),
                line=line,
            )
    if not checkable:
        return
    if not loaded:
        yield make(
            "SVC-CODESET-MISSING",
            f"No CPT or HCPCS code set is loaded for {claim.code_date.isoformat()}: the service "
            "codes were not checked against the code set. An administrator can import the "
            "licensed CPT file and the CMS HCPCS file.",
        )
        return
    for i, code, line in checkable:
        system = CodeSystem.HCPCS if HCPCS_SHAPE.match(code) else CodeSystem.CPT
        if sets[system] is None:
            continue
        row = idx.other.get(system, {}).get(code)
        if row is not None and row.billable:
            continue
        yield make(
            "SVC-NOT-VALID",
            f"{code} (service line {i}) is not in {sets[system]} (in force on "
            f"{claim.code_date.isoformat()}). Check the code or its effective date.",
            codes=(code,),
            line=line,
        )


@register("svc_pointers")
def check_pointers(claim: Claim, ctx: EditContext):
    if not claim.services:
        return
    sequences = {d.sequence for d in claim.diagnoses if d.sequence}
    if not sequences:
        sequences = set(range(1, len(claim.diagnoses) + 1))
    for i, s in enumerate(claim.services, start=1):
        bad = [p for p in s.pointers if p not in sequences]
        if bad:
            shown = ", ".join(str(p) for p in bad)
            have = f"diagnoses 1 to {len(claim.diagnoses)}" if claim.diagnoses else "no diagnoses"
            yield make(
                "SVC-POINTER",
                f"Service line {i} ({clean(s.code)}) points at diagnosis {shown}, but the "
                f"claim has {have}. Point it at the diagnosis the service was for.",
                codes=(clean(s.code),),
                line=f"svc:{i}",
            )
        elif len(s.pointers) > 4:
            yield make(
                "SVC-POINTER",
                f"Service line {i} ({clean(s.code)}) has {len(s.pointers)} diagnosis "
                "pointers; a line takes at most four. Keep the most relevant four.",
                codes=(clean(s.code),),
                line=f"svc:{i}",
            )
