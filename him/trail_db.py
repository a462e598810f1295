"""Database triggers that make the access trail append-only.

Installed by a migration. The test suite's table flush (between transactional
tests) lifts and restores them around the flush, as a superuser could: that is
exactly why the trail is also chained with a MAC.
"""

from __future__ import annotations

TABLE = "him_accessevent"

_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION him_trail_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access trail is append-only: % refused on {TABLE}', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS him_trail_no_update_delete ON {TABLE}",
    f"""CREATE TRIGGER him_trail_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION him_trail_refuse_change()""",
    f"DROP TRIGGER IF EXISTS him_trail_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER him_trail_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION him_trail_refuse_change()""",
]

_PG_REMOVE = [
    f"DROP TRIGGER IF EXISTS him_trail_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS him_trail_no_truncate ON {TABLE}",
]

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS him_trail_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the access trail is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS him_trail_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the access trail is append-only: DELETE refused'); END""",
]

_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS him_trail_no_update",
    "DROP TRIGGER IF EXISTS him_trail_no_delete",
]

_STATEMENTS = {
    ("postgresql", "install"): _PG_INSTALL,
    ("postgresql", "remove"): _PG_REMOVE,
    ("sqlite", "install"): _SQLITE_INSTALL,
    ("sqlite", "remove"): _SQLITE_REMOVE,
}


def statements(vendor: str, which: str) -> list[str]:
    try:
        return list(_STATEMENTS[(vendor, which)])
    except KeyError:
        raise NotImplementedError(f"no append-only triggers for {vendor}") from None


def install(connection) -> None:
    with connection.cursor() as cursor:
        for statement in statements(connection.vendor, "install"):
            cursor.execute(statement)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for statement in statements(connection.vendor, "remove"):
            cursor.execute(statement)
