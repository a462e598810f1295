"""Claim-level diagnosis edits: duplicates, present on admission, unspecified codes."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings

from coding.claim import Claim
from coding.edits import EditContext, register
from coding.edits.catalog import make
from coding.edits.lookup import children, clean, cm
from coding.edits.validity import resolve_dx

logger = logging.getLogger(__name__)

POA_VALUES = {"Y", "N", "U", "W", "1"}
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
    try:
        rules = _exempt_rules(_exempt_file())
    except OSError:
        logger.warning("POA exempt list %s unreadable; using the packaged list", _exempt_file())
        rules = _exempt_rules(str(POA_DATA))
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
    resolved = resolve_dx(ctx)
    for i, d in enumerate(claim.diagnoses, start=1):
        code = clean(d.code)
        if not code:
            continue
        r = resolved.get(code)
        exempt = poa_exempt(code, r.chain if r else ())
        poa = (d.poa or "").strip().upper()
        line = f"dx:{i}"
        if poa and poa not in POA_VALUES:
            yield make(
                "POA-INVALID",
                f"{cm(code)} (#{i}): POA '{d.poa}' is not a POA indicator. Use Y (present), "
                "N (not present), U (documentation insufficient), W (clinically undetermined)"
                + (", or 1 / blank (this code is exempt)." if exempt else "."),
                codes=[code],
                line=line,
            )
        elif exempt and poa in {"Y", "N", "U", "W"}:
            yield make(
                "POA-EXEMPT-CODE",
                f"{cm(code)} (#{i}) is exempt from POA reporting: CMS expects 1 or blank, "
                f"not '{poa}'.",
                codes=[code],
                line=line,
            )
        elif not exempt and poa == "1":
            yield make(
                "POA-EXEMPT-MISUSED",
                f"{cm(code)} (#{i}) is not on the POA exempt list, so '1' is not allowed: "
                "use Y, N, U or W.",
                codes=[code],
                line=line,
            )
        elif not exempt and not poa:
            yield make(
                "POA-MISSING",
                f"{cm(code)} (#{i}) needs a POA indicator: Y, N, U or W.",
                codes=[code],
                line=line,
            )


# Duplicates ---------------------------------------------------------------------------


@register("cm_duplicates")
def check_duplicates(claim: Claim, ctx: EditContext):
    first_at: dict[str, int] = {}
    for i, d in enumerate(claim.diagnoses, start=1):
        code = clean(d.code)
        if not code:
            continue
        if code in first_at:
            yield make(
                "CM-DUPLICATE",
                f"{cm(code)} is listed twice (#{first_at[code]} and #{i}): report each code "
                "once; remove line #" + str(i) + ".",
                codes=[code],
                line=f"dx:{i}",
            )
        else:
            first_at[code] = i


# Unspecified --------------------------------------------------------------------------


def _unspecified(title: str) -> bool:
    return "unspecified" in title.lower()


@register("cm_unspecified")
def check_unspecified(claim: Claim, ctx: EditContext):
    resolved = resolve_dx(ctx)
    candidates = {}
    for code, r in resolved.items():
        # Compared with its siblings under a category or subcategory (a code whose parent
        # is a block, like R69, has no more specific codes of its own).
        if (
            r.ok
            and _unspecified(r.title)
            and len(r.chain) > 1
            and r.chain[1].kind
            in (
                "category",
                "code",
            )
        ):
            candidates[code] = r
    if not candidates:
        return
    kids = children(ctx, {r.chain[1].pk for r in candidates.values()})
    lines = {clean(d.code): i for i, d in reversed(list(enumerate(claim.diagnoses, start=1)))}
    for code, r in sorted(candidates.items(), key=lambda kv: lines.get(kv[0], 99)):
        if code not in lines:
            continue
        parent = r.chain[1]
        specific = [
            c
            for c in kids.get(parent.pk, [])
            if c["code"] != r.chain[0].code and not _unspecified(c["title"])
        ]
        direct = [c for c in specific if c["parent_id"] == parent.pk]
        if not direct:
            continue
        offered = [c["code"] for c in specific if c["billable"]][:8]
        i = lines[code]
        yield make(
            "CM-UNSPECIFIED",
            f"{cm(code)} {r.title} (#{i}) is unspecified, but {cm(parent.code)} has more "
            f"specific codes ({', '.join(cm(c['code']) for c in direct[:5])}"
            f"{', ...' if len(direct) > 5 else ''}). Use one if the record documents it, or "
            "query the provider.",
            codes=[code],
            line=f"dx:{i}",
            suggestions=offered,
        )
