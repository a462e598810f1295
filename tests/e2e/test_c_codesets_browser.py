"""End to end in a real browser: an HIM manager loads a CPT file from the Code sets page;
the status page follows the background load until it says what was loaded, and a bad
file is refused with its line named."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from test_browser import TOTP_KEY, current_code, make_user, sign_in

from coding.models import CodeSet, CodeSystem
from him import roles
from him.models import Facility

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager():
    facility = Facility.objects.create(code="MAIN", name="Main Hospital")
    user = make_user("hanna", roles.HIM_MANAGER, facility)
    TOTPDevice.objects.create(user=user, name="phone", key=TOTP_KEY, confirmed=True)
    return user


def _import(page, path, version: str) -> None:
    page.locator("nav.mainnav").get_by_role("link", name="Code sets").click()
    page.get_by_role("link", name="Import a file").click()
    page.select_option("#id_kind", "cpt")
    page.set_input_files("#id_file", str(path))
    page.fill("#id_version", version)
    page.fill("#id_effective_from", "2026-01-01")
    page.click("button:has-text('Import')")
    page.wait_for_url(re.compile(r"/code-sets/imports/"))


def test_manager_loads_a_cpt_file_and_sees_a_bad_one_refused(
    live_server, new_page, manager, eager, tmp_path
):
    page = new_page()
    sign_in(page, live_server.url, "hanna")
    page.wait_for_url(re.compile(r"/accounts/second-factor/"))
    page.fill("#id_token", current_code(TOTPDevice.objects.get(user=manager)))
    page.click("button:has-text('Verify')")
    page.wait_for_url(live_server.url + "/")

    good = tmp_path / "LONGULT.txt"
    good.write_text("99202\tOffice or other outpatient visit, new patient (test text)\n")
    _import(page, good, "2026")
    status = page.locator("#import-status")
    assert "Loaded" in status.inner_text()
    assert "1 item loaded from LONGULT.txt" in page.locator("main").inner_text()
    assert CodeSet.objects.get(system=CodeSystem.CPT, version="2026").item_count == 1

    bad = tmp_path / "broken.txt"
    bad.write_text("99202\tfine\n9\tnot a code\n")
    _import(page, bad, "2027")
    assert "Refused" in page.locator("#import-status").inner_text()
    alert = page.get_by_role("alert").inner_text()
    assert "line 2" in alert and "nothing of it was kept" in alert
    assert not CodeSet.objects.filter(version="2027").exists()
