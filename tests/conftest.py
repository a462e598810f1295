"""Shared fixtures. Personas and generic mixins live in him/testing/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Support modules sit beside their tests (the folders are not packages, so every
# file name is unique): make each folder importable from any other, whichever
# tests a run collects first.
for _folder in sorted(Path(__file__).parent.iterdir()):
    visible = _folder.is_dir() and not _folder.name.startswith((".", "_"))
    if visible and str(_folder) not in sys.path:
        sys.path.append(str(_folder))

pytest_plugins = ["him.testing.fixtures"]


def pytest_collection_modifyitems(config, items):
    """Browser tests last: their live server's flush leaves tables bare (no
    content types, permissions or roles) in a way later tests would feel."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _trail_heads_forgotten():
    """A test that runs on-commit callbacks by hand (django_capture_on_commit_callbacks)
    makes the trail remember a lane head its rollback then removes: forget it."""
    yield
    from him import trail

    trail.forget_heads()


@pytest.fixture(autouse=True)
def _code_facts_forgotten():
    """The edit engine keeps code-set facts between validations; tests start clean."""
    yield
    from coding.edits import lookup

    lookup.forget()


@pytest.fixture(autouse=True)
def _fresh_request_context():
    """Each test starts as "system", whatever an earlier test left in the context."""
    from him import context

    token = context.set_current(context.RequestContext())
    yield
    context.reset(token)


@pytest.fixture(scope="session", autouse=True)
def _trail_flushable():
    """Transactional tests flush every table between tests. The trail's
    append-only triggers would refuse that, so the flush lifts them and puts
    them back in the same transaction, as a superuser could.

    Patched on the backend's operations class, so connections opened later
    (live server threads, Playwright's event loop) are covered too."""
    from django.db import connections

    from him import trail_db

    patched = {}
    for conn in connections.all():
        cls = type(conn.ops)
        if cls in patched:
            continue
        original = cls.sql_flush

        def sql_flush(self, style, tables, *args, _original=original, **kwargs):
            sql = _original(self, style, tables, *args, **kwargs)
            if trail_db.TABLE not in tables or not sql:
                return sql
            vendor = self.connection.vendor
            return (
                trail_db.statements(vendor, "remove") + sql + trail_db.statements(vendor, "install")
            )

        cls.sql_flush = sql_flush
        patched[cls] = original
    yield
    for cls, original in patched.items():
        cls.sql_flush = original
