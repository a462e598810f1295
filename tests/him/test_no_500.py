"""Never a 500: every page reachable from the home page, as every demo role, on the
demo data; every form on those pages posted with garbage; every write endpoint of the
OpenAPI schema (creates, and updates and actions on a row the user's list shows) sent
garbage bodies. A refusal (400, 403, 404...) is fine; a 5xx is a bug. Deterministic
(a fixed seed), bounded: each shape of URL is visited once."""

from __future__ import annotations

import collections
import random
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import orjson
import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from him import demo
from him.testing.personas import api_client, web_client

pytestmark = pytest.mark.django_db

ROLES = ["tech", "coder", "roi", "auditor", "manager", "privacy", "physician", "sysadmin"]
SKIP = ("/accounts/", "/static/", "/media/", "/admin/")
HREF = re.compile(r'href="([^"#]+)"')
GARBAGE = ["", "x" * 3000, "-1", "2026-13-45", "<b>", "'\"", "9" * 25, "Z99.999", "1.5e309"]
JSON_GARBAGE = [None, "", "x" * 3000, -1, 10**20, 1.5, [], {}, "2026-13-45", True, [None]]
PAGES_PER_ROLE = 250


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get")}
            self._form["fields"] = []
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            kind = a.get("type", "text") if tag == "input" else tag
            if a.get("name") and kind not in ("submit", "button", "file", "hidden"):
                self._form["fields"].append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _shape(path: str) -> str:
    return re.sub(r"/[0-9a-fA-F-]{6,}|/\d+|/E[0-9A-Z]{9}", "/N", path)


@pytest.fixture
def demo_users(db):
    demo.seed(patients_per_facility=4, rng_seed=3)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
    for user in users.values():  # the second factor is taken as given here
        TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    return users


def _client(user, make):
    client = make(user)
    client.raise_request_exception = False
    device = TOTPDevice.objects.filter(user=user).first()
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_no_page_and_no_form_answers_a_5xx_for_any_role(demo_users):
    rng = random.Random(11)
    failures, visited = [], {}
    for name in ROLES:
        client = _client(demo_users[name], web_client)
        queue, seen, shapes, posted = collections.deque(["/"]), set(), set(), set()
        while queue and len(shapes) < PAGES_PER_ROLE:
            url = queue.popleft()
            shape = _shape(urlsplit(url).path) + ("?" if "?" in url else "")
            if url in seen or shape in shapes:
                continue
            seen.add(url)
            shapes.add(shape)
            response = client.get(url)
            if response.status_code >= 500:
                failures.append((name, "GET", url, response.status_code))
                continue
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            page = response.content.decode()
            for href in HREF.findall(page):
                href = href.replace("&amp;", "&")
                if href.startswith("/") and not href.startswith(SKIP):
                    queue.append(href)
            parser = _Forms()
            parser.feed(page)
            for form in parser.forms:
                action = urljoin(url, form["action"].replace("&amp;", "&")) or url
                action = action.replace("http://testserver", "")
                key = (form["method"].lower(), _shape(urlsplit(action).path))
                if action.startswith(SKIP) or key in posted:
                    continue
                posted.add(key)
                send = client.post if key[0] == "post" else client.get
                for data in (
                    dict.fromkeys(form["fields"], "9" * 25),  # beyond any id column
                    {field: rng.choice(GARBAGE) for field in form["fields"]},
                ):
                    answer = send(action, data)
                    if answer.status_code >= 500:
                        failures.append((name, key[0].upper(), action, answer.status_code, data))
        visited[name] = (len(shapes), len(posted))
    assert failures == []
    # Not vacuous: every role got in and found its screens and forms.
    assert all(pages >= 5 for pages, _ in visited.values()), visited
    assert sum(forms for _, forms in visited.values()) >= 60, visited


def test_no_write_endpoint_answers_a_5xx_to_garbage(demo_users):
    rng = random.Random(5)
    schema = orjson.loads(api_client(demo_users["manager"]).get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]

    def fields(operation) -> list[str]:
        content = operation.get("requestBody", {}).get("content", {})
        body = (content.get("application/json") or next(iter(content.values()), {})).get("schema")
        while isinstance(body, dict) and "$ref" in body:
            body = components[body["$ref"].rsplit("/", 1)[1]]
        return list((body or {}).get("properties", {}))

    def concrete(client, path: str, listed: dict) -> str | None:
        """``path`` with its first parameter the id of a row its list shows the user
        (the rest "x"); None when the list shows none."""
        if "{" not in path:
            return path
        base = path.split("{", 1)[0]
        if base not in listed:
            response = client.get(base)
            data = response.json() if response.status_code == 200 else None
            rows = data.get("results") if isinstance(data, dict) else data
            first = rows[0] if isinstance(rows, list) and rows else None
            listed[base] = str(first["id"]) if isinstance(first, dict) and first.get("id") else None
        if listed[base] is None:
            return None
        return re.sub(
            r"\{[^}]+\}",
            "x",
            path.replace(path[len(base) :].split("}", 1)[0] + "}", listed[base], 1),
        )

    failures, tried = [], set()
    for name in ("manager", "roi", "coder", "tech"):
        client = _client(demo_users[name], api_client)
        listed: dict[str, str | None] = {}
        for template, operations in schema["paths"].items():
            path = concrete(client, template, listed)
            if path is None:
                continue
            for method in ("post", "put", "patch"):
                if method not in operations:
                    continue
                tried.add((method, template))
                names = fields(operations[method])
                bodies = [{}, dict.fromkeys(names)]
                bodies += [{n: rng.choice(JSON_GARBAGE) for n in names} for _ in range(3)]
                for body in bodies:
                    response = getattr(client, method)(path, body, format="json")
                    if response.status_code >= 500:
                        failures.append((name, method, path, response.status_code, body))
    assert failures == []
    # Not vacuous: the create endpoints and the updates and actions on a row were tried.
    detail = [t for t in tried if "{" in t[1]]
    assert len(tried) >= 40 and len(detail) >= 12, (len(tried), len(detail))
