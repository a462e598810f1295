"""NCCI edits on CPT/HCPCS service lines: procedure-to-procedure pairs and MUEs.

Run only when the CMS quarterly files are loaded (an NCCI code set in force on
the date of service); otherwise one info edit says so. The setting (hospital
outpatient or practitioner) comes from ``CODING_NCCI_SETTING``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Q

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.lookup import clean, sets_in_force
from coding.models import CodeSystem, MueLimit, NcciPair

# Modifiers NCCI accepts to bypass a pair with modifier indicator 1 (NCCI Policy Manual,
# ch. I, section E; anatomic, global surgery and 59/X{EPSU} modifiers).
NCCI_MODIFIERS = frozenset(
    {
        *("E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"),
        *("LC", "LD", "LM", "LT", "RC", "RI", "RT"),
        *("TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"),
        *("24", "25", "27", "57", "58", "59", "78", "79", "91"),
        *("XE", "XP", "XS", "XU"),
    }
)


def _setting() -> str:
    return getattr(settings, "CODING_NCCI_SETTING", NcciPair.Setting.HOSPITAL)


def _day(claim: Claim, service) -> dt.date:
    return service.service_date or claim.code_date


@register("ncci")
def check_ncci(claim: Claim, ctx: EditContext):
    if not claim.services:
        return
    sets = sets_in_force(ctx)
    ptp_set, mue_set = sets[CodeSystem.NCCI_PTP], sets[CodeSystem.NCCI_MUE]
    if ptp_set is None and mue_set is None:
        yield make(
            "NCCI-NOT-LOADED",
            f"NCCI files are not loaded for {claim.code_date.isoformat()}: procedure-to-"
            "procedure pairs and unit limits were not checked. An administrator can import "
            "the CMS quarterly PTP and MUE files.",
        )
        return
    lines = [(i, s, clean(s.code), _day(claim, s)) for i, s in enumerate(claim.services, 1)]
    codes = sorted({code for _, _, code, _ in lines})
    if ptp_set is not None and len(lines) > 1:
        yield from _ptp(claim, ptp_set, lines, codes)
    if mue_set is not None:
        yield from _mue(mue_set, lines, codes)


def _ptp(claim: Claim, ptp_set, lines, codes):
    first_day = min(day for *_, day in lines)
    last_day = max(day for *_, day in lines)
    pairs = (
        NcciPair.objects.filter(
            code_set=ptp_set,
            setting=_setting(),
            column1__in=codes,
            column2__in=codes,
            effective_from__lte=last_day,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=first_day))
        .exclude(modifier_indicator="9")
    )
    by_day = defaultdict(list)
    for i, s, code, day in lines:
        by_day[day].append((i, s, code))
    reported: set[tuple] = set()
    for pair in pairs:
        for day, day_lines in by_day.items():
            if pair.effective_from > day or (pair.effective_to and pair.effective_to < day):
                continue
            col1 = [(i, s) for i, s, code in day_lines if code == pair.column1]
            col2 = [(i, s) for i, s, code in day_lines if code == pair.column2]
            for i2, s2 in col2:
                if not col1 or (pair.column1, pair.column2, day, i2) in reported:
                    continue
                i1 = col1[0][0]
                modifiers = {m.upper() for m in s2.modifiers}
                if pair.modifier_indicator == "1" and modifiers & NCCI_MODIFIERS:
                    continue
                reported.add((pair.column1, pair.column2, day, i2))
                if pair.modifier_indicator == "0":
                    todo = (
                        "The pair is never paid together (modifier indicator 0): remove "
                        f"{pair.column2} unless it was a separate encounter."
                    )
                else:
                    todo = (
                        "If the services were distinct (separate site, session or encounter) "
                        f"and the record shows it, add an NCCI-associated modifier (e.g. 59, XS, "
                        f"XE, XU, XP) to line {i2}; otherwise remove {pair.column2}."
                    )
                why = f" Rationale: {pair.rationale}." if pair.rationale else ""
                yield make(
                    "NCCI-PTP",
                    f"{pair.column2} (line {i2}) is bundled into {pair.column1} (line {i1}) "
                    f"on {day.isoformat()}. {todo}{why}",
                    codes=(pair.column1, pair.column2),
                    line=f"svc:{i2}",
                    extra={"modifier_indicator": pair.modifier_indicator},
                )


def _mue(mue_set, lines, codes):
    limits = {
        m.code: m
        for m in MueLimit.objects.filter(code_set=mue_set, setting=_setting(), code__in=codes)
    }
    # MUE adjudication indicator 1 is a claim-line edit: each line on its own; 2 and 3
    # are date-of-service edits: the units of every line of the day added up.
    units: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for i, s, code, day in lines:
        if code in limits:
            per_line = limits[code].adjudication_indicator.strip().startswith("1")
            units[(code, day, i if per_line else 0)].append((i, s.units))
    for (code, day, _line), used in units.items():
        limit = limits[code]
        total = sum(u for _, u in used)
        if total <= limit.units:
            continue
        first = used[0][0]
        where = ", ".join(str(i) for i, _ in used)
        how = f" ({limit.adjudication_indicator})" if limit.adjudication_indicator else ""
        yield make(
            "NCCI-MUE",
            f"{code}: {total} units on {day.isoformat()} (line {where}) exceed the medically "
            f"unlikely edit of {limit.units} per {'line' if _line else 'day'}{how}. Check the "
            "units against the record; "
            "report more only with documentation the payer will review.",
            codes=(code,),
            line=f"svc:{first}",
            extra={"limit": limit.units, "units": total},
        )
