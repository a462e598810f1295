"""End to end in a real browser: a coder finds a code with the type-ahead,
despite a typo, using only the keyboard; any page's input marked
data-code-search becomes a type-ahead that announces the code picked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from test_browser import make_user, sign_in

from coding import hooks
from coding.models import Code, CodeSet, CodeSystem
from him import roles
from him.models import Facility

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def icd10cm():
    # In force from 2020 with no end: whatever today is, the page's default date finds it.
    cs = CodeSet.objects.create(
        system=CodeSystem.ICD10CM, version="E2E", label="E2E", effective_from=dt.date(2020, 1, 1)
    )
    rows = [
        ("E11", "Type 2 diabetes mellitus", False),
        ("E116", "Type 2 diabetes mellitus with other specified complications", False),
        ("E1165", "Type 2 diabetes mellitus with hyperglycemia", True),
        ("E1169", "Type 2 diabetes mellitus with other specified complication", True),
        ("E119", "Type 2 diabetes mellitus without complications", True),
        ("I10", "Essential (primary) hypertension", True),
    ]
    for position, (code, title, billable) in enumerate(rows):
        Code.objects.create(
            code_set=cs, code=code, title=title, billable=billable, position=position
        )
    hooks.fire(hooks.CODESET_LOADED, code_set=cs)
    return cs


@pytest.fixture
def coder():
    facility = Facility.objects.create(code="MAIN", name="Main Hospital")
    return make_user("cora", roles.CODER, facility)


def test_coder_finds_a_code_despite_a_typo_with_the_keyboard_only(
    live_server, new_page, coder, icd10cm, tmp_path
):
    page = new_page()
    sign_in(page, live_server.url, "cora")
    page.wait_for_url(live_server.url + "/")
    page.locator("nav.mainnav").get_by_role("link", name="Code search").click()
    box = page.locator("#code-q")
    box.focus()
    page.keyboard.type("diabetis hyperglicemia", delay=25)  # faster than the debounce
    options = page.locator("#code-q-suggestions [role=option]")
    options.first.wait_for()
    assert options.first.get_attribute("data-code") == "E1165"
    # Debounced: one request for the whole phrase, not one per keystroke.
    assert int(box.get_attribute("data-code-search-requests")) <= 2
    page.screenshot(path=str(tmp_path / "typeahead.png"), full_page=True)
    page.keyboard.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == "code-q-suggestions-0"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/coding/codes/icd10cm/E1165/"))
    assert "Type 2 diabetes mellitus with hyperglycemia" in page.locator("h1").inner_text()


def test_a_newer_query_wins_and_any_marked_input_announces_the_code_picked(
    live_server, new_page, coder, icd10cm
):
    page = new_page()
    sign_in(page, live_server.url, "cora")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/coding/codes/")
    # An input another screen would render (the workspace's diagnosis rows).
    page.evaluate(
        """() => {
            window.picked = [];
            document.addEventListener("code-picked", (e) => window.picked.push(e.detail));
            const input = document.createElement("input");
            input.id = "dx-1";
            input.setAttribute("data-code-search", "icd10cm");
            document.querySelector("main").appendChild(input);
        }"""
    )
    dx = page.locator("#dx-1")
    dx.wait_for()
    expect(dx).to_have_attribute("role", "combobox")  # picked up when it appeared
    dx.focus()
    page.keyboard.type("hypert")
    page.wait_for_timeout(60)  # inside the debounce window: then change the query
    page.keyboard.press("Control+A")
    page.keyboard.type("E11.6")
    options = page.locator("#dx-1-suggestions [role=option]")
    expect(options.first).to_have_attribute("data-code", "E116")  # the newer query's answer
    assert [options.nth(i).get_attribute("data-code") for i in range(3)] == [
        "E116",
        "E1165",
        "E1169",
    ]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert dx.input_value() == "E11.65"
    picked = page.evaluate("window.picked")
    assert picked == [
        {
            "code": "E1165",
            "dotted": "E11.65",
            "title": "Type 2 diabetes mellitus with hyperglycemia",
            "billable": True,
            "system": "icd10cm",
            "kind": "code",
        }
    ]
    page.keyboard.press("Escape")
    assert page.locator("#dx-1-suggestions").is_hidden()
