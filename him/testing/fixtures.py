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
