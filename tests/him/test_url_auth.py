"""Every URL the project serves refuses anonymous callers.

The walk covers every pattern in the root resolver (the HTML screens, every
DRF router route, the schema and docs, the admin): an anonymous GET and POST
must be sent to sign in (HTML) or refused with 401/403 (API). Only the
allow-list below may answer anonymously.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

from him.testing.mixins import LOGIN_PREFIXES

pytestmark = pytest.mark.django_db

# Answer anonymous callers on purpose; each with the statuses allowed.
ALLOW = {
    "him:login": {"GET": {200}, "POST": {200}},  # the form, re-shown with an error
    "him:health": {"GET": {200, 503}, "POST": {200, 503}},  # says "ok" or which part failed
    "him:logout": {"GET": {405}, "POST": {302}},  # POST only; then to the sign-in page
    "admin:login": {"GET": {200}, "POST": {200}},
    "admin:logout": {"GET": {302}, "POST": {302}},  # to the admin index, which asks to sign in
    # The ROI recipient's secure link: the token is the credential; a wrong one is 404.
    "release_of_info:link": {"GET": {404}, "POST": {404}},
}

SCHEMA = {"api-schema", "api-docs"}

# Dummy values for path converters and regex groups; the first that resolves back
# to the same view is used.
CANDIDATES = {
    "int": ["1"],
    "str": ["E23456789A"],
    "slug": ["x-1"],
    "uuid": ["00000000-0000-4000-8000-000000000000"],
    "path": ["x/1"],
}
REGEX_CANDIDATES = [
    "1",
    "E23456789A",
    CANDIDATES["uuid"][0],
    "him",
    "records",
    "auth",
    "user",
    "x",
    "json",
    "",
]


@dataclass(frozen=True)
class Route:
    path: str
    name: str  # namespace:name, or the view's dotted path when unnamed
    callback: object


def _fill_route(route: str) -> str:
    def value(match: re.Match) -> str:
        return CANDIDATES.get(match.group(1) or "str", ["x"])[0]

    return re.sub(r"<(?:(\w+):)?\w+>", value, route)


def _fill_regex(pattern: str) -> list[str]:
    options = []
    for template, params in normalize(pattern):
        if not params:
            options.append(template)
            continue
        for value in REGEX_CANDIDATES:
            options.append(template % dict.fromkeys(params, value))
    return options


def _pieces(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return [_fill_route(str(pattern))]
    if isinstance(pattern, RegexPattern):
        return _fill_regex(pattern.regex.pattern)
    return [str(pattern)]


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[Route]:
    found: list[Route] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            for piece in _pieces(entry.pattern):
                found.extend(walk(entry, prefix + piece, space))
                if found and piece:
                    break  # one filled prefix that leads somewhere is enough
            continue
        assert isinstance(entry, URLPattern)
        name = entry.name or entry.lookup_str
        qualified = f"{namespace}:{name}" if namespace and entry.name else name
        for piece in _pieces(entry.pattern):
            path = "/" + prefix + piece
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if match.func is entry.callback:
                found.append(Route(path, qualified, entry.callback))
                break
        else:
            found.append(Route("", qualified, entry.callback))  # reported as unfillable
    return found


ROUTES = walk(get_resolver())


def test_the_walk_finds_every_kind_of_route():
    paths = {r.path for r in ROUTES}
    names = {r.name for r in ROUTES}
    assert len(ROUTES) >= 40, "the walker found too few URL patterns to be testing anything"
    assert not [r.name for r in ROUTES if not r.path], "patterns the walker could not fill"
    # The router's routes, the screens, the schema, the admin.
    assert "/api/v1/records/patients/" in paths
    assert "/api/v1/trail/events/" in paths
    assert {"records-api:patient-detail", "him-api:reportrun-download"} <= names
    assert "/records/patients/E23456789A/edit/" in paths
    assert "admin:him_user_change" in names
    assert {"api-schema", "api-docs", "admin:index", "records:patient-list"} <= names
    assert set(ALLOW) <= names, "an allow-listed route no longer exists"


def _expect_refused(client, method: str, route: Route) -> None:
    response = getattr(client, method.lower())(route.path)
    where = f"{method} {route.path} ({route.name})"
    assert response.status_code != 500, where
    if route.path.startswith("/api/"):
        assert response.status_code in (401, 403), f"{where}: {response.status_code}"
        assert b"Authorization" not in response.content or route.name in SCHEMA, where
        if route.name not in SCHEMA:  # the schema views render errors in their own format
            assert response.json()["error"]["message"], where
    else:
        assert response.status_code == 302, f"{where}: {response.status_code}"
        assert response["Location"].startswith(LOGIN_PREFIXES), f"{where}: {response['Location']}"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in ALLOW], ids=lambda r: r.path)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_is_refused(client, route, method):
    _expect_refused(client, method, route)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name in ALLOW], ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_allow_listed_routes_answer_anonymously(client, route, method):
    response = getattr(client, method.lower())(route.path)
    assert response.status_code in ALLOW[route.name][method], response.status_code
    if route.name == "him:logout" and method == "POST":
        assert response["Location"].startswith("/accounts/login/")
    if route.name == "admin:logout":
        assert client.get(response["Location"])["Location"].startswith("/admin/login/")


def test_api_refusal_asks_for_credentials(client):
    response = client.get("/api/v1/records/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_static_files_are_served_anonymously_and_cacheable(client):
    response = client.get("/static/him/him.css")
    assert response.status_code == 200
    assert response.get("Cache-Control") != "no-store"


def test_unknown_paths_are_404_not_a_sign_in_leak(client):
    assert client.get("/no/such/page/").status_code == 404
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
