"""What each database adds to the code search index, beyond the Django tables.

PostgreSQL: a stored ``tsvector`` of the searched text (``simple``
configuration: no stemming, no stop words, so "type 2" keeps its "2") with a
GIN index for word search; the pg_trgm extension with GIN trigram indexes on
the text and the code (the substring fallback); a prefix index on the code.

SQLite: an FTS5 table (unicode61 words with prefix indexes: coders type the
start of words) whose rowid is the ``CodeSearchEntry`` id, filled by the
rebuild service.

Typo tolerance reads the vocabulary (``CodeSearchWord``) with pg_trgm's
similarity measure computed in process, the same on both databases (see
``coding.services.search``): on a vocabulary of ~13,000 words that is faster
than asking PostgreSQL (a trigram index scan of the words took ~6 ms).

Both are created by migration 0003_search and re-asserted (idempotently) by
the rebuild, so a database created without migrations still searches.
"""

from __future__ import annotations

FTS_TABLE = "coding_codesearch_fts"

POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Stored, so an index recheck reads the vector instead of re-parsing the text.
    # Unknown to the Django model: inserts never name it, PostgreSQL computes it.
    "ALTER TABLE coding_codesearchentry ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    "CREATE INDEX IF NOT EXISTS coding_search_vector "
    "ON coding_codesearchentry USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS coding_search_terms_trgm "
    "ON coding_codesearchentry USING gin (terms gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_code_trgm "
    "ON coding_codesearchentry USING gin (code gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS coding_search_code_prefix "
    "ON coding_codesearchentry (code_set_id, code varchar_pattern_ops)",
]
POSTGRES_GIN_INDEXES = [
    "coding_search_vector",
    "coding_search_terms_trgm",
    "coding_search_code_trgm",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS coding_search_terms_trgm",
    "DROP INDEX IF EXISTS coding_search_code_trgm",
    "DROP INDEX IF EXISTS coding_search_vector",
    "DROP INDEX IF EXISTS coding_search_code_prefix",
    "ALTER TABLE coding_codesearchentry DROP COLUMN IF EXISTS search_vector",
]
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "terms, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')",
]
SQLITE_DROP = [
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
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
