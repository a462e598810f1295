"""Claim-level diagnosis edits: duplicates, present on admission, unspecified codes."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.facts import claim_facts
from coding.edits.lookup import clean, cm

logger = logging.getLogger(__name__)

POA_VALUES = {"Y", "N", "U", "W", "1"}
REPORTED = {"Y", "N", "U", "W"}  # the indicators of a code that is not exempt
POA_DATA = Path(__file__).with_name("data") / "poa_exempt.txt"


# Present on admission ------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _exempt_rules(path: str) -> tuple[tuple[str, str, bool], ...]:
    """(first, last, exempt) entries; a CMS code-by-code file is read as single codes."""
    rules: list[tuple[str, str, bool]] = []
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "\t" in raw:
            # CMS layout: order, code, description (tab-delimited, with a header row).
            parts = raw.split("\t")
            code = clean(parts[1]) if len(parts) > 1 else ""
            if code and code[0].isalpha() and code[1:2].isdigit():
                rules.append((code, code, True))
            continue
        exempt = not line.startswith("-")
        span = line.lstrip("-").split()[0]
        first, _, last = span.partition("-")
        rules.append((clean(first), clean(last or first), exempt))
    return tuple(rules)


def _exempt_file() -> str:
    return str(getattr(settings, "CODING_POA_EXEMPT_FILE", "") or POA_DATA)


def poa_exempt(code: str, chain=()) -> bool:
    """Is ``code`` exempt from POA reporting?

    A ``poa_exempt`` flag on the code or an ancestor (set by a loader) wins; else
    the longest matching entry of the exempt list.
    """
    for row in chain:
        flag = (row.flags or {}).get("poa_exempt")
        if flag is not None:
            return bool(flag)
    return _exempt_list().exempt(code)


class _ExemptList(dict):
    """The exempt list of one file, its answer kept per code asked.

    ``complete``: the list names every exempt code (CMS's code-by-code file), so a
    code it does not name is certainly not exempt. The packaged list holds the
    Appendix I categories as ranges: about 8,200 FY2026 codes, where CMS's
    code-by-code lists hold some 37,000 to 38,000 (37,689 in April 2023), so a code
    it does not name may still be exempt."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.rules = _exempt_rules(path)
        self.complete = Path(path) != POA_DATA and all(a == b for a, b, _ in self.rules)

    def exempt(self, code: str) -> bool:
        found = self.get(code)
        if found is None:
            found = self[code] = _longest_match(self.rules, code)
        return found


@functools.lru_cache(maxsize=4)
def _exempt_list_of(path: str) -> _ExemptList:
    return _ExemptList(path)  # unreadable: OSError, and nothing is kept for the path


def _exempt_list() -> _ExemptList:
    """The exempt list in use (``CODING_POA_EXEMPT_FILE``, else the packaged one)."""
    try:
        return _exempt_list_of(_exempt_file())
    except OSError:
        logger.warning("POA exempt list %s unreadable; using the packaged list", _exempt_file())
        return _exempt_list_of(str(POA_DATA))


def _longest_match(rules: tuple[tuple[str, str, bool], ...], code: str) -> bool:
    best: tuple[int, bool] = (0, False)
    for first, last, exempt in rules:
        width = len(first)
        hit = code.startswith(first) if first == last else first <= code[:width] <= last[:width]
        if hit and width >= best[0]:
            best = (width, exempt)
    return best[1]


@register("poa")
def check_poa(claim: Claim, ctx: EditContext):
    if not claim.inpatient or not getattr(settings, "CODING_POA_REQUIRED", True):
        return
    facts = claim_facts(ctx)
    dx = facts.dx
    listed = _exempt_list()
    for i, code, d in facts.lines:
        if not code:
            continue
        f = dx.get(code)
        flag = f.poa_flag if f is not None else None
        if flag is None:
            exempt = listed.get(code)
            if exempt is None:
                exempt = listed.exempt(code)
        else:
            exempt = flag
        poa = d.poa
        if poa in REPORTED and not exempt:
            continue  # the usual line: an indicator on a code that needs one
        poa = (poa or "").strip().upper()
        if poa in REPORTED and not exempt:
            continue
        line = f"dx:{i}"
        if poa and poa not in POA_VALUES:
            yield make(
                "POA-INVALID",
                f"{cm(code)} (#{i}): POA '{d.poa}' is not a POA indicator. Use Y (present), "
                "N (not present), U (documentation insufficient), W (clinically undetermined)"
                + (", or 1 / blank (this code is exempt)." if exempt else "."),
                codes=(code,),
                line=line,
            )
        elif exempt and poa in REPORTED:
            yield make(
                "POA-EXEMPT-CODE",
                f"{cm(code)} (#{i}) is exempt from POA reporting: CMS expects 1 or blank, "
                f"not '{poa}'.",
                codes=(code,),
                line=line,
            )
        elif not exempt and poa == "1" and (listed.complete or flag is not None):
            yield make(
                "POA-EXEMPT-MISUSED",
                f"{cm(code)} (#{i}) is not on the POA exempt list, so '1' is not allowed: "
                "use Y, N, U or W.",
                codes=(code,),
                line=line,
            )
        elif not exempt and poa == "1":
            # The packaged list is the guideline categories, not CMS's code list: a code
            # it does not name may still be exempt, so this must not block the claim.
            yield make(
                "POA-EXEMPT-UNLISTED",
                f"{cm(code)} (#{i}) is not in the POA exempt categories this system knows, "
                "so '1' may be wrong: use Y, N, U or W unless CMS's POA exempt list names "
                "it. (An administrator can load CMS's list: CODING_POA_EXEMPT_FILE.)",
                codes=(code,),
                line=line,
            )
        elif not exempt and not poa:
            yield make(
                "POA-MISSING",
                f"{cm(code)} (#{i}) needs a POA indicator: Y, N, U or W.",
                codes=(code,),
                line=line,
            )


# Duplicates ---------------------------------------------------------------------------


@register("cm_duplicates")
def check_duplicates(claim: Claim, ctx: EditContext):
    first_at: dict[str, int] = {}
    for i, code, _ in claim_facts(ctx).lines:
        if not code:
            continue
        if code in first_at:
            yield make(
                "CM-DUPLICATE",
                f"{cm(code)} is listed twice (#{first_at[code]} and #{i}): report each code "
                "once; remove line #" + str(i) + ".",
                codes=(code,),
                line=f"dx:{i}",
            )
        else:
            first_at[code] = i


# Unspecified --------------------------------------------------------------------------


@register("cm_unspecified")
def check_unspecified(claim: Claim, ctx: EditContext):
    """An unspecified code whose category or subcategory has more specific codes."""
    facts = claim_facts(ctx)
    dx = facts.dx
    done: set[str] = set()
    for i, code, _ in facts.lines:
        f = dx.get(code)
        if f is None or f.unspecified is None or code in done:
            continue
        done.add(code)
        yield f.edit_at(
            ("unspecified", i), lambda i=i, f=f, code=code: _unspecified_edit(i, code, f)
        )


def _unspecified_edit(i: int, code: str, f):
    found = f.unspecified
    return make(
        "CM-UNSPECIFIED",
        f"{found.head} (#{i}) {found.tail}",
        codes=(code,),
        line=f"dx:{i}",
        suggestions=found.offered,
    )
