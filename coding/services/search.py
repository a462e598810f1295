"""Code search: the index rebuild and the query.

The index (``CodeSearchEntry``, ``CodeSearchWord``; plus pg_trgm/full-text
GIN indexes on PostgreSQL or an FTS5 table on SQLite, see
``coding.search_backend``) is derived from ``Code`` rows by
``rebuild_index(code_set)``, which runs on ``hooks.CODESET_LOADED``.

A query is read as codes or as words:

- A single token that looks like a code ("E11.65", "e1165", "s72.0", "0DT")
  is a code prefix, with or without the dot. If no code starts with it, it is
  read as a word ("b12" in "vitamin b12").
- Otherwise every word must match the start of a word of the title or of an
  inclusion term (so "diab" finds "diabetes"). A word that starts no word of
  the vocabulary is taken as a typo and replaced by the closest vocabulary
  words by trigram similarity (pg_trgm on PostgreSQL, the same measure in
  Python on SQLite). Code-like tokens among words narrow by code prefix
  ("E11 hyperglycemia").

Ranking: the exact code first, then billable codes before headers, then
titles that start with the first word, then titles that hold more of the
words (rather than only inclusion terms), then narrower headers, then shorter
titles (the general code before its many specific siblings), then the
tabular order.

Only code sets in force on ``on`` (default today) are searched, one per system.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from coding import search_backend
from coding.models import (
    Code,
    CodeNote,
    CodeSearchBuild,
    CodeSearchEntry,
    CodeSearchWord,
    CodeSet,
    CodeSystem,
    dotted,
)
from records.search import damerau_levenshtein

# The systems a coder searches (MS-DRG and NCCI are tables, not code lists).
SEARCHABLE = (
    CodeSystem.ICD10CM,
    CodeSystem.ICD10PCS,
    CodeSystem.CPT,
    CodeSystem.HCPCS,
    CodeSystem.MODIFIER,
)
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MIN_TYPO_LENGTH = 4
SIMILARITY = 0.3  # pg_trgm's default threshold, used on both backends
CORRECTIONS_PER_WORD = 3
BATCH = 5000

_LEVEL = {Code.Kind.CODE: 0, Code.Kind.CATEGORY: 1, Code.Kind.BLOCK: 2, Code.Kind.CHAPTER: 3}
_WORD = re.compile(r"[a-z0-9]+")
# A token a coder types as a code: letters and digits with at least one digit,
# an optional dot, an optional trailing "-" (as in "E11.-").
_CODE_TOKEN = re.compile(r"^(?=[^.]*\d)[A-Za-z0-9]{1,7}(\.[A-Za-z0-9]{0,4})?-?$")
# Inside a multi-word query only clear codes narrow: "E11", "S72.0", "0DT6", not "2".
_STRICT_CODE_TOKEN = re.compile(
    r"^([A-Za-z]\d[A-Za-z0-9]{1,5}|\d[A-Za-z0-9]{2,6})(\.[A-Za-z0-9]*)?$"
)


class SearchError(ValueError):
    """A query that cannot be run; the message says what to fix."""


@dataclass(frozen=True)
class SearchHit:
    code: str
    dotted: str
    title: str
    billable: bool
    system: str
    kind: str

    def as_dict(self) -> dict:
        return asdict(self)


# Text -------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case ASCII words: accents dropped, punctuation splits."""
    decomposed = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return _WORD.findall(decomposed.lower())


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before, one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all distinct trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared) if ta and tb else 0.0


# Rebuild ----------------------------------------------------------------------------


def rebuild_index(code_set: CodeSet) -> CodeSearchBuild:
    """Rebuild ``code_set``'s search rows from its codes (bulk inserts, one transaction)."""
    started = time.perf_counter()
    system = code_set.system
    inclusions: dict[int, list[str]] = {}
    for code_id, text in (
        CodeNote.objects.filter(code__code_set=code_set, kind=CodeNote.Kind.INCLUSION)
        .order_by("code_id", "position")
        .values_list("code_id", "text")
    ):
        inclusions.setdefault(code_id, []).append(text)

    vocabulary: Counter[str] = Counter()
    entries: list[tuple] = []
    rows = (
        Code.objects.filter(code_set=code_set)
        .order_by("position", "code")
        .values_list("id", "code", "kind", "title", "billable", "position", "search_text")
    )
    for code_id, code, kind, title, billable, position, search_text in rows.iterator(
        chunk_size=BATCH
    ):
        title_words = words(title)
        all_words = _unique(
            [*title_words, *words(search_text), *words(" ".join(inclusions.get(code_id, ())))]
        )
        vocabulary.update(w for w in all_words if len(w) >= 3 and not w.isdigit())
        entries.append(
            (
                code_set.pk,
                system,
                code,
                dotted(code, system),
                title,
                " " + " ".join(title_words),
                " ".join(all_words),
                billable,
                kind,
                _LEVEL.get(kind, 0),
                _hint(title),
                position,
            )
        )

    with transaction.atomic():
        is_sqlite = connection.vendor == "sqlite"
        if is_sqlite:
            # The FTS table, should the database have been made without migrations.
            search_backend.create(connection)
        with connection.cursor() as cursor:
            if is_sqlite:
                cursor.execute(
                    f"DELETE FROM {search_backend.FTS_TABLE} WHERE rowid IN "  # noqa: S608
                    "(SELECT id FROM coding_codesearchentry WHERE code_set_id = %s)",
                    [code_set.pk],
                )
        CodeSearchEntry.objects.filter(code_set=code_set).delete()
        CodeSearchWord.objects.filter(code_set=code_set).delete()
        if is_sqlite:
            with connection.cursor() as cursor:
                # Rows whose entries went without the rebuild (a flush, a cascade):
                # their ids may come back, so they go before the new rows come in.
                cursor.execute(
                    f"DELETE FROM {search_backend.FTS_TABLE} WHERE rowid NOT IN "  # noqa: S608
                    "(SELECT id FROM coding_codesearchentry)"
                )
        _insert("coding_codesearchentry", _ENTRY_COLUMNS, entries)
        words_cut: dict[str, int] = {}
        for w, n in vocabulary.items():  # two words cut to the same 60 characters add up
            words_cut[w[:60]] = words_cut.get(w[:60], 0) + n
        _insert(
            "coding_codesearchword",
            ("code_set_id", "word", "frequency"),
            [(code_set.pk, w, n) for w, n in words_cut.items()],
        )
        if is_sqlite:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {search_backend.FTS_TABLE} (rowid, terms) "  # noqa: S608
                    "SELECT id, terms FROM coding_codesearchentry WHERE code_set_id = %s",
                    [code_set.pk],
                )
        build, _ = CodeSearchBuild.objects.update_or_create(
            code_set=code_set,
            defaults={
                "built_at": timezone.now(),
                "entries": len(entries),
                "words": len(vocabulary),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    _VOCABULARIES.pop(code_set.pk, None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # New rows wait in the GIN indexes' pending lists, which every query then
            # scans linearly (12-26 ms at full size) until a vacuum: merge them now.
            for index in search_backend.POSTGRES_GIN_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            cursor.execute("ANALYZE coding_codesearchentry")
            cursor.execute("ANALYZE coding_codesearchword")
    return build


_ENTRY_COLUMNS = (
    "code_set_id",
    "system",
    "code",
    "dotted",
    "title",
    "title_words",
    "terms",
    "billable",
    "kind",
    "level",
    "hint",
    "position",
)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bulk insert without the ORM's per-value work: COPY on PostgreSQL,
    executemany in batches elsewhere (a full ICD-10-CM is ~100,000 rows)."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _hint(title: str) -> int:
    """1 for a later encounter or a sequela: coders mostly want the initial encounter."""
    lowered = title.lower()
    if "subsequent encounter" in lowered or lowered.endswith(", sequela"):
        return 1
    return 0


def on_codeset_loaded(code_set: CodeSet, **kwargs) -> None:
    """``hooks.CODESET_LOADED`` handler."""
    if code_set.system in SEARCHABLE:
        rebuild_index(code_set)


# Query ------------------------------------------------------------------------------


def code_sets_in_force(system: str | None, on: dt.date) -> list[CodeSet]:
    """The version of each searchable system (or of ``system``) in force on ``on``."""
    systems = [system] if system else list(SEARCHABLE)
    candidates = (
        CodeSet.objects.filter(system__in=systems, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("search_build")
        .order_by("system", "-effective_from")
    )
    chosen: dict[str, CodeSet] = {}
    for cs in candidates:
        chosen.setdefault(cs.system, cs)
    return list(chosen.values())


@dataclass(frozen=True)
class _InForce:
    pk: int
    stamp: tuple | None  # the index build: its vocabulary is cached under it


def _in_force(system: str | None, on: dt.date) -> list[_InForce]:
    """``code_sets_in_force`` in one plain query: it runs on every keystroke."""
    systems = [system] if system else list(SEARCHABLE)
    marks = ", ".join(["%s"] * len(systems))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.system, b.id, b.built_at FROM coding_codeset s "  # noqa: S608
            "LEFT JOIN coding_codesearchbuild b ON b.code_set_id = s.id "
            f"WHERE s.system IN ({marks}) AND s.effective_from <= %s "
            "AND (s.effective_to IS NULL OR s.effective_to >= %s) "
            "ORDER BY s.system, s.effective_from DESC",
            [*systems, on, on],
        )
        chosen: dict[str, _InForce] = {}
        for pk, code_system, build_id, built_at in cursor.fetchall():
            stamp = (build_id, str(built_at)) if build_id else None
            chosen.setdefault(code_system, _InForce(pk, stamp))
    return list(chosen.values())


def parse_system(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().replace("-", "").replace("_", "")
    if value not in SEARCHABLE:
        names = ", ".join(SEARCHABLE)
        raise SearchError(f"Unknown code system {value!r}: use one of {names}.")
    return value


def search_codes(
    q: str,
    *,
    system: str | None = None,
    on: dt.date | None = None,
    billable_only: bool = False,
    limit: int = 20,
) -> list[SearchHit]:
    """The codes matching ``q`` in the code sets in force on ``on``, best first."""
    q = (q or "").strip()
    if not q:
        raise SearchError("Type a code or some words to search for.")
    if len(q) > MAX_QUERY_LENGTH:
        raise SearchError(f"The search is too long (at most {MAX_QUERY_LENGTH} characters).")
    if "\x00" in q:
        raise SearchError("The search holds a character that cannot be searched for.")
    system = parse_system(system)
    limit = max(1, min(int(limit), MAX_LIMIT))
    code_sets = _in_force(system, on or timezone.localdate())
    if not code_sets:
        return []
    ids = [cs.pk for cs in code_sets]

    tokens = [t for t in re.split(r"[\s,;]+", q) if t]
    if len(tokens) == 1 and _CODE_TOKEN.match(tokens[0]):
        hits = _by_code([_code_key(tokens[0])], ids, billable_only, limit)
        if hits:
            return hits
    code_prefixes = [_code_key(t) for t in tokens if _STRICT_CODE_TOKEN.match(t)]
    text_tokens = (
        [t for t in tokens if not _STRICT_CODE_TOKEN.match(t)] if len(tokens) > 1 else tokens
    )
    terms = _unique(w for t in text_tokens for w in words(t))[:MAX_WORDS]
    if not terms:
        if code_prefixes:
            return _by_code(code_prefixes, ids, billable_only, limit)
        return []
    groups = _with_corrections(terms, code_sets)
    hits = _by_words(groups, code_prefixes, ids, billable_only, limit)
    if not hits and not code_prefixes:
        # Inside words ("itis", "glycem"): slower, so only when word starts found nothing.
        hits = _by_substring(terms, ids, billable_only, limit)
    return hits


def _by_substring(terms: list[str], ids: list[int], billable_only: bool, limit: int) -> list:
    """Every term anywhere in the text (PostgreSQL: served by the pg_trgm GIN index)."""
    terms = [t for t in terms if len(t) >= 3]
    if not terms:
        return []
    id_sql, params = _in(ids)
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    where = [f"e.code_set_id IN {id_sql}"] + [f"e.terms {like} %s"] * len(terms)
    params += ["%" + t.replace("%", "").replace("_", "") + "%" for t in terms]
    if billable_only:
        where.append("e.billable")
    sql = (
        f"SELECT {_COLUMNS} FROM coding_codesearchentry e WHERE {' AND '.join(where)} "  # noqa: S608
        "ORDER BY CASE WHEN e.billable THEN 0 ELSE 1 END, e.hint, e.level, length(e.title), "
        "e.position, e.code LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + [limit])
        return [_hit(row) for row in cursor.fetchall()]


def _code_key(token: str) -> str:
    return token.upper().replace(".", "").rstrip("-")


def _hit(row) -> SearchHit:
    code, dotted_code, title, billable, system, kind = row
    return SearchHit(code, dotted_code, title, bool(billable), system, kind)


# Raw SQL below interpolates only constants and "%s" placeholders (S608 noqa);
# every value a user typed goes in as a parameter.
_COLUMNS = "e.code, e.dotted, e.title, e.billable, e.system, e.kind"


def _in(ids: list[int]) -> tuple[str, list]:
    return "(" + ", ".join(["%s"] * len(ids)) + ")", list(ids)


def _by_code(prefixes: list[str], ids: list[int], billable_only: bool, limit: int) -> list:
    id_sql, params = _in(ids)
    matches, exact = [], []
    for prefix in prefixes:
        if connection.vendor == "sqlite":
            # A range, not LIKE: SQLite's LIKE is case-blind and skips the index.
            matches.append("(e.code >= %s AND e.code < %s)")
            params += [prefix, prefix + "~"]
        else:
            matches.append("e.code LIKE %s")
            params.append(_like_prefix(prefix))
        exact.append("e.code = %s")
    exact_params = list(prefixes)
    sql = (
        f"SELECT {_COLUMNS} FROM coding_codesearchentry e "  # noqa: S608
        f"WHERE e.code_set_id IN {id_sql} AND ({' OR '.join(matches)})"
        + (" AND e.billable" if billable_only else "")
        + f" ORDER BY CASE WHEN {' OR '.join(exact)} THEN 0 ELSE 1 END, "
        "CASE WHEN e.billable THEN 0 ELSE 1 END, length(e.code), e.code, e.system LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + exact_params + [limit])
        return [_hit(row) for row in cursor.fetchall()]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _word_order(groups: list[list[str]]) -> tuple[str, list[str]]:
    """ORDER BY terms (and their parameters) for a word search, best first:

    1. billable codes before headers;
    2. titles starting with the first word ("essential hypertension": I10 first);
    3. titles holding the words as typed, one after the other ("heart failure":
       I50.9 before "Heart transplant failure");
    4. titles holding more of the words (rather than only inclusion terms);
    5. titles matching the closest correction of a misspelt word;
    6. first encounters before subsequent encounters and sequelae (``hint``);
    7. wider headers after narrower ones, shorter titles first, tabular order.
    """
    keys = ["CASE WHEN e.billable THEN 0 ELSE 1 END"]
    keys.append(
        "CASE WHEN "
        + " OR ".join(["e.title_words LIKE %s"] * len(groups[0]))
        + " THEN 0 ELSE 1 END"
    )
    params: list[str] = [f" {w}%" for w in groups[0]]
    if len(groups) > 1:
        keys.append("CASE WHEN e.title_words LIKE %s THEN 0 ELSE 1 END")
        params.append("% " + " ".join(group[0] for group in groups) + "%")
    coverage = []
    for group in groups:
        coverage.append(
            "CASE WHEN "
            + " OR ".join(["e.title_words LIKE %s"] * len(group))
            + " THEN 1 ELSE 0 END"
        )
        params += [f"% {w}%" for w in group]
    keys.append(f"({' + '.join(coverage)}) DESC")
    corrected = [group for group in groups if len(group) > 1]
    if corrected:
        ranks = []
        for group in corrected:
            whens = " ".join(f"WHEN e.title_words LIKE %s THEN {i}" for i in range(len(group)))
            ranks.append(f"CASE {whens} ELSE {len(group)} END")
            params += [f"% {w}%" for w in group]
        keys.append(f"({' + '.join(ranks)})")
    keys += ["e.hint", "e.level", "length(e.title)", "e.position", "e.code"]
    return ", ".join(keys), params


def _prefix(word: str, marker: str) -> str:
    # "2" or "of" as a prefix would open thousands of words ("2" -> "20", "21"...).
    return marker if len(word) >= 3 else ""


def _by_words(
    groups: list[list[str]],
    code_prefixes: list[str],
    ids: list[int],
    billable_only: bool,
    limit: int,
) -> list[SearchHit]:
    id_sql, params = _in(ids)
    if connection.vendor == "postgresql":
        source = "coding_codesearchentry e"
        match = "e.search_vector @@ to_tsquery('simple'::regconfig, %s)"
        match_param = " & ".join(
            "(" + " | ".join(f"'{w}'" + _prefix(w, ":*") for w in group) + ")" for group in groups
        )
    else:
        fts = search_backend.FTS_TABLE
        source = f"{fts} JOIN coding_codesearchentry e ON e.id = {fts}.rowid"
        match = f"{search_backend.FTS_TABLE} MATCH %s"
        match_param = " AND ".join(
            "(" + " OR ".join(f'"{w}"' + _prefix(w, "*") for w in group) + ")" for group in groups
        )
    where = [f"e.code_set_id IN {id_sql}", match]
    params.append(match_param)
    if billable_only:
        where.append("e.billable")
    if code_prefixes:
        ors = []
        for prefix in code_prefixes:
            ors.append(
                "e.code LIKE %s"
                if connection.vendor == "postgresql"
                else "(e.code >= %s AND e.code < %s)"
            )
            params += (
                [_like_prefix(prefix)]
                if connection.vendor == "postgresql"
                else [prefix, prefix + "~"]
            )
        where.append("(" + " OR ".join(ors) + ")")

    order_sql, order_params = _word_order(groups)
    sql = (
        f"SELECT {_COLUMNS} FROM {source} WHERE {' AND '.join(where)} "  # noqa: S608
        f"ORDER BY {order_sql} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + order_params + [limit])
        return [_hit(row) for row in cursor.fetchall()]


# Typo tolerance ---------------------------------------------------------------------


def _with_corrections(terms: list[str], code_sets: list[_InForce]) -> list[list[str]]:
    """Each term, or, when no vocabulary word starts with it, its closest vocabulary words.

    The measure is pg_trgm's similarity, computed in process over the
    vocabulary of the code sets searched (the same on both databases)."""
    vocabularies = [_vocabulary(cs) for cs in code_sets]
    groups = []
    for term in terms:
        if (
            len(term) < MIN_TYPO_LENGTH
            or term.isdigit()
            or any(v.starts_a_word(term) for v in vocabularies)
        ):
            groups.append([term])
            continue
        groups.append(_similar_words(term, vocabularies) or [term])
    return groups


def _similar_words(term: str, vocabularies: list[_Vocabulary]) -> list[str]:
    """The closest vocabulary words: trigram-similar (pg_trgm's measure and
    threshold), then fewest edits, then the most used ("diabetis" is one edit
    from both "diabetes" and "diabetic"; "diabetes" is far more common)."""
    frequency: dict[str, int] = {}
    for vocabulary in vocabularies:
        for word, _score, count in vocabulary.similar(term):
            frequency[word] = frequency.get(word, 0) + count
    if not frequency:
        return []
    ranked = sorted(
        ((damerau_levenshtein(term, w, 4), -n, w) for w, n in frequency.items()),
    )
    best = ranked[0][0]
    # "hypertention" is "hypertension", not also "hyperventilation".
    return [w for edits, _, w in ranked[:CORRECTIONS_PER_WORD] if edits <= best + 1]


class _Vocabulary:
    """A code set's words in memory, with a trigram index (SQLite has no pg_trgm)."""

    def __init__(self, code_set_id: int) -> None:
        rows = CodeSearchWord.objects.filter(code_set_id=code_set_id).values_list(
            "word", "frequency"
        )
        self.frequency = dict(rows)
        self.sorted = sorted(self.frequency)
        self.by_trigram: dict[str, list[str]] = {}
        self.gram_count: dict[str, int] = {}
        for word in self.sorted:
            grams = trigrams(word)
            self.gram_count[word] = len(grams)
            for gram in grams:
                self.by_trigram.setdefault(gram, []).append(word)

    def starts_a_word(self, term: str) -> bool:
        i = bisect.bisect_left(self.sorted, term)
        return i < len(self.sorted) and self.sorted[i].startswith(term)

    def similar(self, term: str) -> list[tuple[str, float, int]]:
        grams = trigrams(term)
        shared: Counter[str] = Counter()
        for gram in grams:
            shared.update(self.by_trigram.get(gram, ()))
        out = []
        for word, n in shared.items():
            score = n / (len(grams) + self.gram_count[word] - n)
            if score >= SIMILARITY:
                out.append((word, score, self.frequency[word]))
        return out


# code set id -> (build stamp, vocabulary); a rebuild in another process changes the stamp.
_VOCABULARIES: dict[int, tuple[object, _Vocabulary]] = {}


def _vocabulary(code_set: _InForce) -> _Vocabulary:
    cached = _VOCABULARIES.get(code_set.pk)
    if cached is None or cached[0] != code_set.stamp:
        cached = (code_set.stamp, _Vocabulary(code_set.pk))
        _VOCABULARIES[code_set.pk] = cached
    return cached[1]
