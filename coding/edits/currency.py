"""Warn when a discharge is checked against a code set past its fiscal year.

The shipped FY2026 sets stay in force until a newer version is loaded (see
``coding.services.codesets.FY2026``), so a discharge after 2026-09-30 is still
checked and grouped; the coder is told that the codes new or changed on
October 1 are not known yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from coding.edits import register
from coding.edits.catalog import make
from coding.edits.lookup import sets_in_force
from coding.models import CodeSystem

_FISCAL = re.compile(r"^FY(\d{4})$")


@functools.lru_cache(maxsize=256)
def fiscal_year_end(version: str) -> dt.date | None:
    match = _FISCAL.match(version or "")
    return dt.date(int(match[1]), 9, 30) if match else None


@register("codeset_currency")
def codeset_currency(claim, ctx):
    sets = sets_in_force(ctx)  # kept a while; shared with the other checks
    systems = (
        (CodeSystem.ICD10CM, CodeSystem.ICD10PCS) if claim.procedures else (CodeSystem.ICD10CM,)
    )
    for system in systems:
        cs = sets.get(system)
        end = fiscal_year_end(cs.version) if cs is not None else None
        if cs is None or end is None or cs.effective_to is not None or claim.code_date <= end:
            continue
        yield make(
            "CODESET-PAST-YEAR",
            f"Discharged {claim.code_date:%Y-%m-%d}: checked against {cs.label or cs.version}, "
            f"whose fiscal year ended {end:%Y-%m-%d}. Codes added or changed since are not "
            "known until the next year's code set is loaded (Code sets page).",
        )
