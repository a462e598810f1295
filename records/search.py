"""Patient search with typo tolerance, the same on PostgreSQL and SQLite.

A query is split into terms. A term that looks like a date filters the birth
date; a term that could be an identifier matches the MRN or the enterprise id
exactly (any case); every other term is a name term. Each name term must match
the family or the given name of the patient, tolerating a typo:

1. Candidate *names* (not rows) come from two indexed lookups over the stored
   search keys: names with the same phonetic key (``phonetic_key``, a Soundex
   variant) and names that share the term's first two letters. Both read an
   index only, over distinct names, so they stay small at a million patients.
2. Each candidate name is kept if the term is a prefix of it or within a small
   Damerau-Levenshtein distance of it (1 for short terms, 2 for long ones).
3. The patient query then asks for ``family_norm IN (...) OR given_norm IN
   (...)`` per term, on the queryset the caller passes in: that queryset is
   already narrowed by the access policy, so scope is never widened here (the
   candidate-name lookups read names only, never return rows).

The stored keys (``Patient.family_norm``, ``given_norm``, ``family_key``,
``given_key``) are kept by ``Patient.refresh_search_keys()``, called from
``Patient.save()`` and by the bulk seeder.

The query count is fixed per query shape (two name lookups per name term,
then the page), whatever the page size.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

# Names in the vocabulary per lookup: a bound on what one odd term can cost.
MAX_CANDIDATE_NAMES = 2000
MAX_TERMS = 6
MAX_QUERY_LENGTH = 200

_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
_ID_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]*$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")


@lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """Lowercase ASCII letters and digits only: accents dropped, spaces, hyphens, apostrophes gone.

    "José" -> "jose", "O'Brien" -> "obrien", "Smith-Jones" -> "smithjones".
    """
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed.lower() if "a" <= c <= "z" or "0" <= c <= "9")


@lru_cache(maxsize=65536)
def phonetic_key(name: str) -> str:
    """American Soundex of the normalized name (letter + 3 digits), "" when empty.

    Soundex forgives the typos people make most (a swapped or doubled letter,
    a wrong vowel): "Smtih", "Smyth" and "Smith" share S530. A typo in the first
    letter is caught by the other candidate lookup (shared first two letters)
    only when the second letter is right; that trade keeps lookups index-only.
    """
    text = normalize(name)
    if not text:
        return ""
    first = text[0]
    digits = []
    last = _SOUNDEX.get(first, "")
    for c in text[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != last:
            digits.append(code)
            if len(digits) == 3:
                break
        if c not in "hw":  # h and w do not separate letters of the same code
            last = code
    return (first.upper() + "".join(digits)).ljust(4, "0")


def damerau_levenshtein(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (an adjacent swap costs 1), capped at ``limit``."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def allowed_typos(term: str) -> int:
    if len(term) <= 2:
        return 0
    if len(term) <= 5:
        return 1
    return 2


def name_matches(term: str, name: str) -> bool:
    """Is ``name`` (normalized) what someone typing ``term`` (normalized) may mean?"""
    if name.startswith(term):
        return True
    typos = allowed_typos(term)
    if not typos:
        return False
    if damerau_levenshtein(term, name, typos + 1) <= typos:
        return True
    # A typo inside a prefix: "Lovl" for "Lovelace".
    return len(name) > len(term) >= 4 and damerau_levenshtein(term, name[: len(term)], 2) <= 1


def parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _candidate_names(term: str, norm_field: str, key_field: str) -> set[str]:
    from records.models import Patient

    # Names only, across all facilities, never rows: the policy-scoped queryset
    # decides which patients come back.
    names = Patient.objects.order_by()
    by_key = names.filter(**{key_field: phonetic_key(term)}).values_list(norm_field, flat=True)
    by_prefix = names.filter(**{f"{norm_field}__startswith": term[:2]}).values_list(
        norm_field, flat=True
    )
    found = by_key.distinct().union(by_prefix.distinct())[:MAX_CANDIDATE_NAMES]
    return {name for name in found if name_matches(term, name)}


def name_condition(term: str) -> Q:
    """Patients whose family or given name is what ``term`` may mean."""
    norm = normalize(term)
    if not norm:
        return Q()
    families = _candidate_names(norm, "family_norm", "family_key")
    givens = _candidate_names(norm, "given_norm", "given_key")
    if not families and not givens:
        return Q(pk__in=[])
    return Q(family_norm__in=sorted(families)) | Q(given_norm__in=sorted(givens))


def identifier_condition(token: str) -> Q:
    """An MRN (as typed, upper or lower case) or an enterprise id."""
    variants = sorted({token, token.upper(), token.lower()})
    return Q(mrn__in=variants) | Q(enterprise_id=token.upper())


def search_patients(queryset: QuerySet, text: str) -> QuerySet:
    """Narrow ``queryset`` (already policy-scoped) to the patients ``text`` names.

    Typical inputs: "Jonh Smtih", "Smith, J", "S00001234", "E7KQ2M9XZA",
    "Smith 1970-05-17". Odd input narrows to nothing rather than failing.
    """
    text = (text or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return queryset
    tokens = [t for t in re.split(r"[\s,;]+", text) if t][:MAX_TERMS]
    condition = Q()
    for token in tokens:
        born = parse_date(token)
        if born is not None:
            condition &= Q(birth_date=born)
        elif not normalize(token):
            condition &= Q(pk__in=[])
        elif any(c.isdigit() for c in token):
            # An identifier, or a name with digits in it taken exactly (no typos:
            # "Unit7" must not find "Unit8").
            norm = normalize(token)
            exact = Q(family_norm=norm) | Q(given_norm=norm)
            condition &= exact | identifier_condition(token) if _ID_LIKE.match(token) else exact
        elif len(tokens) == 1 and _ID_LIKE.match(token) and len(token) == 10:
            # Ten letters could be an enterprise id made of letters only.
            condition &= name_condition(token) | identifier_condition(token)
        else:
            condition &= name_condition(token)
    found = queryset.filter(condition)
    if not queryset.query.order_by:
        # The model's ordering (family_name, given_name) matches an index, and
        # PostgreSQL then walks that index in order, filtering a million rows to
        # fill a page (seconds). Ordering by an expression with no index makes it
        # fetch the (few) matches through the search indexes and sort them.
        found = found.order_by(Lower("family_name"), Lower("given_name"), "birth_date", "pk")
    return found
