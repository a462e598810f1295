"""Fixtures of the release-of-information tests."""

from __future__ import annotations

import pytest

from him import roles
from him.testing.factories import FacilityFactory, UserFactory


@pytest.fixture
def facility():
    return FacilityFactory()


@pytest.fixture
def specialist(facility):
    """An ROI specialist of ``facility``."""
    return UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility])


def _silence(monkeypatch, *events) -> None:
    from release_of_info import hooks

    for event in events:
        monkeypatch.setitem(hooks._handlers, event, [])


@pytest.fixture
def no_authorization_rules(monkeypatch):
    """A part's own rules alone: the authorization checks (release checks, document
    coverage) have their own tests."""
    from release_of_info import hooks

    _silence(monkeypatch, hooks.RELEASE_CHECKS, hooks.DOCUMENT_COVERAGE)


@pytest.fixture
def no_release_rules(monkeypatch):
    """As ``no_authorization_rules``, and no disclosure basis from the authorization."""
    from release_of_info import hooks

    _silence(monkeypatch, hooks.RELEASE_CHECKS, hooks.DOCUMENT_COVERAGE, hooks.RELEASE_BASIS)
