"""Shared fixtures. Personas and generic mixins live in him/testing/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _trail_flushable():
    """Transactional tests flush every table between tests. The trail's
    append-only triggers would refuse that, so the flush lifts them and puts
    them back in the same transaction, as a superuser could."""
    from django.db import connections

    from him import trail_db

    patched = []
    for conn in connections.all():
        original = conn.ops.sql_flush

        def sql_flush(style, tables, *args, _original=original, _vendor=conn.vendor, **kwargs):
            sql = _original(style, tables, *args, **kwargs)
            if trail_db.TABLE not in tables or not sql:
                return sql
            return (
                trail_db.statements(_vendor, "remove")
                + sql
                + trail_db.statements(_vendor, "install")
            )

        conn.ops.sql_flush = sql_flush
        patched.append((conn, original))
    yield
    for conn, original in patched:
        conn.ops.sql_flush = original
