"""What each database adds to the code search index, beyond the Django tables.

PostgreSQL: the pg_trgm extension; GIN trigram indexes on the searched text,
the codes and the vocabulary (typo tolerance, substring fallback); a GIN full
text index (``simple`` configuration: no stemming, no stop words, so "type 2"
keeps its "2") on the searched text; prefix indexes on code and word.

SQLite: an FTS5 table (unicode61 words with prefix indexes: coders type the
start of words) whose rowid is the ``CodeSearchEntry`` id, filled by the
rebuild service. Typo tolerance on SQLite is done in Python over the
vocabulary (see ``coding.services.search``).

Both are created by migration 0003_search and re-asserted (idempotently) by
the rebuild, so a database created without migrations still searches.
"""

from __future__ import annotations

FTS_TABLE = "coding_codesearch_fts"

POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS coding_search_terms_trgm "
    "ON coding_codesearchentry USING gin (terms gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_code_trgm "
    "ON coding_codesearchentry USING gin (code gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_terms_fts "
    "ON coding_codesearchentry USING gin (to_tsvector('simple'::regconfig, terms))",
    "CREATE INDEX IF NOT EXISTS coding_search_code_prefix "
    "ON coding_codesearchentry (code_set_id, code varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_word_trgm "
    "ON coding_codesearchword USING gin (word gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_word_prefix "
    "ON coding_codesearchword (code_set_id, word varchar_pattern_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS coding_search_terms_trgm",
    "DROP INDEX IF EXISTS coding_search_code_trgm",
    "DROP INDEX IF EXISTS coding_search_terms_fts",
    "DROP INDEX IF EXISTS coding_search_code_prefix",
    "DROP INDEX IF EXISTS coding_search_word_trgm",
    "DROP INDEX IF EXISTS coding_search_word_prefix",
]
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "terms, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')",
    # Codes and words by prefix: range scans on these (SQLite's LIKE cannot use them).
    "CREATE INDEX IF NOT EXISTS coding_search_word_prefix ON coding_codesearchword (code_set_id, word)",
]
SQLITE_DROP = [
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    "DROP INDEX IF EXISTS coding_search_word_prefix",
]


def create(connection) -> None:
    statements = {"postgresql": POSTGRES_CREATE, "sqlite": SQLITE_CREATE}.get(connection.vendor)
    with connection.cursor() as cursor:
        for sql in statements or ():
            cursor.execute(sql)


def drop(connection) -> None:
    statements = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(connection.vendor)
    with connection.cursor() as cursor:
        for sql in statements or ():
            cursor.execute(sql)
