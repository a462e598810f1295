"""The code search screens: search, code detail with linked notes and hierarchy,
the tabular browser, the type-ahead widget, sign-in and permission."""

from __future__ import annotations

import pytest
from c_search_support import ON, cm_set, cm_with_notes, fracture_with_seventh, loaded
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from coding.models import Code, CodeSearchEntry
from him.testing.mixins import LOGIN_PREFIXES
from him.testing.personas import TrailWatch, web_client

pytestmark = pytest.mark.django_db

SEARCH = reverse("coding:code-search")


def detail_url(code: str, system: str = "icd10cm") -> str:
    return reverse("coding:code-detail", kwargs={"system": system, "code": code}) + f"?on={ON}"


def test_every_screen_sends_anonymous_users_to_sign_in():
    for url in (
        SEARCH,
        detail_url("E11"),
        reverse("coding:code-browser"),
        reverse("coding:code-browser-node", args=["icd10cm", "E11"]),
    ):
        response = web_client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_PREFIXES)


def test_a_role_without_code_set_permission_gets_403(personas):
    client = web_client(personas.no_role)
    assert client.get(SEARCH).status_code == 403
    assert client.get(detail_url("E11")).status_code == 403
    assert client.get(reverse("coding:code-browser")).status_code == 403


def test_the_navigation_offers_code_search_to_roles_that_read_code_sets(personas):
    page = web_client(personas.reader).get("/").content.decode()
    assert f'href="{SEARCH}"' in page and "Code search" in page
    page = web_client(personas.no_role).get("/").content.decode()
    assert "Code search" not in page


def test_search_page_lists_results_without_javascript_and_links_them(personas):
    loaded(cm_set()[0])
    response = web_client(personas.reader).get(SEARCH, {"q": "diabetis hyperglicemia", "on": ON})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="code-results"' in page
    assert f'href="{reverse("coding:code-detail", args=["icd10cm", "E1165"])}?on={ON}"' in page
    assert "E11.65" in page


def test_search_page_loads_the_typeahead_widget_and_no_inline_script(personas):
    page = web_client(personas.reader).get(SEARCH).content.decode()
    assert 'data-code-search=""' in page  # every system until one is chosen
    assert 'data-code-search-url="/api/v1/coding/codes/"' in page
    assert "coding/search/typeahead.js" in page
    assert "<script>" not in page and "onchange=" not in page


def test_search_page_explains_bad_input_instead_of_failing(personas):
    loaded(cm_set()[0])
    client = web_client(personas.reader)
    page = client.get(SEARCH, {"q": "x" * 300}).content.decode()
    assert "too long" in page
    page = client.get(SEARCH, {"q": "E11", "on": "31/02/2026"}).content.decode()
    assert "is not a date" in page
    page = client.get(SEARCH, {"q": "E11", "system": "icd9"}).content.decode()
    assert "Unknown code system" in page
    response = client.get(SEARCH, {"q": "a\x00b"})  # refused before the view (him.middleware)
    assert response.status_code == 400 and "NUL character" in response.content.decode()


def test_detail_page_shows_notes_with_links_and_the_hierarchy(personas):
    cm_with_notes()
    watch = TrailWatch()
    response = web_client(personas.reader).get(detail_url("E11.65"))
    assert response.status_code == 200
    page = response.content.decode()
    # Hierarchy: chapter > block > category > code, each a link.
    for code in ("4", "E08-E13", "E11"):
        assert f'href="{reverse("coding:code-detail", args=["icd10cm", code])}?on={ON}"' in page
    # Notes inherited from E11, with the codes they name linked.
    assert "Excludes1" in page and "type 1 diabetes mellitus" in page
    assert (
        f'<a href="{reverse("coding:code-detail", args=["icd10cm", "E10"])}?on={ON}">E10.-</a>'
        in page
    )
    assert (
        f'<a href="{reverse("coding:code-detail", args=["icd10cm", "Z794"])}?on={ON}">Z79.4</a>'
        in page
    )
    assert "Use additional code" in page
    assert "hyperglycaemia" in page  # its own inclusion term
    watch.none(action="read")  # reference data: no patient trail


def test_detail_page_shows_seventh_characters_and_children(personas):
    fracture_with_seventh()
    page = web_client(personas.reader).get(detail_url("S72")).content.decode()
    assert "7th characters" in page and "initial encounter for closed fracture" in page
    assert reverse("coding:code-detail", args=["icd10cm", "S7200"]) in page


def test_detail_page_of_an_unknown_code_is_404(personas):
    cm_set()
    client = web_client(personas.reader)
    assert client.get(detail_url("Q999")).status_code == 404
    assert client.get(reverse("coding:code-detail", args=["icd9", "250"])).status_code == 404


def test_a_code_not_valid_on_the_date_says_so(personas):
    cm_set()
    url = reverse("coding:code-detail", args=["icd10cm", "E1165"]) + "?on=2030-01-01"
    page = web_client(personas.reader).get(url).content.decode()
    assert "Not in the code set in force on 2030-01-01" in page


def test_tabular_browser_walks_chapters_blocks_categories_codes(personas):
    cm_with_notes()
    client = web_client(personas.reader)
    page = client.get(reverse("coding:code-browser"), {"on": ON}).content.decode()
    assert "Endocrine, nutritional and metabolic diseases" in page
    block_url = reverse("coding:code-browser-node", args=["icd10cm", "4"])
    assert block_url in page
    page = client.get(block_url, {"on": ON}).content.decode()
    assert "Diabetes mellitus (E08-E13)" in page
    page = client.get(
        reverse("coding:code-browser-node", args=["icd10cm", "E08-E13"]), {"on": ON}
    ).content.decode()
    assert "Type 1 diabetes mellitus" in page and "Type 2 diabetes mellitus" in page
    page = client.get(
        reverse("coding:code-browser-node", args=["icd10cm", "E11"]), {"on": ON}
    ).content.decode()
    assert "E11.9" in page and "E11.65" in page and "billable" in page


def test_tabular_browser_pages_long_lists(personas):
    cs, made = cm_set(rows=[("Z00", "Encounter for general examination", False)])
    Code.objects.bulk_create(
        Code(
            code_set=cs,
            code=f"Z00{n:03d}",
            title=f"Examination {n}",
            parent=made["Z00"],
            depth=1,
            position=1000 + n,
        )
        for n in range(130)
    )
    client = web_client(personas.reader)
    url = reverse("coding:code-browser-node", args=["icd10cm", "Z00"])
    first = client.get(url, {"on": ON}).content.decode()
    assert "Examination 99<" in first and "Examination 100<" not in first
    assert "Page 1 of 2" in first
    second = client.get(url, {"on": ON, "page": 2}).content.decode()
    assert "Examination 129<" in second
    assert client.get(reverse("coding:code-browser-system", args=["nope"])).status_code == 404


def test_the_typeahead_include_renders_an_input_any_page_can_use():
    html = render_to_string(
        "coding/search/_typeahead.html",
        {"name": "pdx", "system": "icd10cm", "value": "E11.9", "id": "dx-1", "on": ON},
    )
    assert 'name="pdx"' in html and 'id="dx-1"' in html and 'value="E11.9"' in html
    assert 'data-code-search="icd10cm"' in html
    assert f'data-code-search-on="{ON}"' in html
    assert "coding/search/typeahead.js" in html


def test_rebuild_command_rebuilds_every_searchable_code_set(capsys):
    cs, _ = cm_set()
    assert not CodeSearchEntry.objects.filter(code_set=cs).exists()
    call_command("rebuild_code_search")
    assert CodeSearchEntry.objects.filter(code_set=cs).count() == 21
    assert "21 entries" in capsys.readouterr().out
