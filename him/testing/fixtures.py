"""pytest fixtures from the HIM test harness (registered in tests/conftest.py)."""

from __future__ import annotations

import pytest

from him.testing.personas import Personas, TrailWatch


@pytest.fixture
def personas(db) -> Personas:
    """Two facilities and the writer, reader, outsider and no-role users."""
    return Personas.create()


@pytest.fixture
def trail_watch(db) -> TrailWatch:
    """Trail rows written from now on."""
    return TrailWatch()


@pytest.fixture
def eager(settings):
    """Celery tasks run in-process, errors raised. Celery read its configuration once
    at start, so the app's own settings change too (and go back afterwards)."""
    from him.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
