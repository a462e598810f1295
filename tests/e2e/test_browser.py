"""End to end in a real browser: sign-in, second factor, the trail viewer, role tiles."""

from __future__ import annotations

import re

import orjson
import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm

from him import roles, trail
from him.models import AccessEvent, Facility, User

# serialized_rollback: the live server needs committed data, so these tests flush the
# database; the roles (made by data migrations) come back from the serialized copy.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Corr3ct-horse-battery"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def make_user(username: str, role: str, facility: Facility, **fields) -> User:
    user = User.objects.create_user(username, password=PASSWORD, **fields)
    user.groups.add(Group.objects.get(name=role))
    assign_perm("him.access_facility", user, facility)
    return user


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


@pytest.fixture
def facility():
    return Facility.objects.create(code="MAIN", name="Main Hospital")


def test_privacy_officer_signs_in_with_totp_and_filters_the_trail(
    live_server, new_page, facility, tmp_path
):
    officer = make_user("olivia", roles.PRIVACY_OFFICER, facility, first_name="Olivia")
    device = TOTPDevice.objects.create(user=officer, name="phone", key=TOTP_KEY, confirmed=True)
    for n in range(3):
        trail.record(
            trail.Action.DISCLOSE,
            username="roi.clerk",
            object_type="release_of_info.request",
            object_id=f"ROI-{n}",
            facility_id=facility.pk,
            reason="released to patient's attorney",
        )
    for n in range(4):
        trail.record(
            trail.Action.READ,
            username="tina",
            object_type="records.patient",
            object_id=f"E00000000{n}",
            facility_id=facility.pk,
        )

    page = new_page()
    sign_in(page, live_server.url, "olivia")

    # A privileged role lands on the second-factor page, not on patient information.
    page.wait_for_url(re.compile(r"/accounts/second-factor/"))
    assert page.locator("h1").inner_text() == "Enter your authenticator code"
    assert page.locator("nav.mainnav a").count() == 0
    page.fill("#id_token", current_code(device))
    page.click("button:has-text('Verify')")

    page.wait_for_url(live_server.url + "/")
    assert "Good to see you, Olivia" in page.locator("h1").inner_text()
    page.locator("nav.mainnav").get_by_role("link", name="Access trail").click()

    page.wait_for_url(re.compile(r"/trail/"))
    table = page.locator("#trail-table")
    assert table.is_visible()
    page.check("input[name='action'][value='disclose']")
    page.click("#trail-filters button:has-text('Filter')")

    page.wait_for_url(re.compile(r"action=disclose"))
    rows = page.locator("#trail-table tbody tr")
    assert rows.count() == 3
    assert rows.locator("td:nth-child(5)").all_inner_texts() == ["Disclosure"] * 3
    assert "ROI-0" in table.inner_text()
    assert "released to patient's attorney" in table.inner_text()
    assert page.is_checked("input[name='action'][value='disclose']")

    shot = tmp_path / "trail.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # The browser's visit is itself in the trail: the filtered search, the 2nd factor.
    search = AccessEvent.objects.filter(action="search", user_id=officer.pk).latest("seq")
    assert orjson.loads(search.detail)["criteria"]["action"] == "disclose"
    assert AccessEvent.objects.filter(action="second_factor", user_id=officer.pk).exists()
    assert "HeadlessChrome" in search.user_agent or "Chrome" in search.user_agent
    assert trail.verify().ok


def test_technician_sees_the_role_tiles_and_no_trail(live_server, new_page, facility, tmp_path):
    make_user("tina", roles.HIM_TECHNICIAN, facility)
    page = new_page()
    sign_in(page, live_server.url, "tina")

    page.wait_for_url(live_server.url + "/")
    tiles = page.locator(".tiles .tile h2").all_inner_texts()
    assert "Patients" in tiles
    assert "Access trail" not in tiles
    assert "Access trail" not in page.locator("nav.mainnav").inner_text()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.locator(".tiles").get_by_role("link", name=re.compile("Patients")).click()
    page.wait_for_url(re.compile(r"/records/patients/"))
    assert page.locator("h1").is_visible()

    # The trail viewer is closed to this role even by its address.
    response = page.goto(live_server.url + "/trail/")
    assert response.status == 403

    page.click("button:has-text('Sign out')")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert AccessEvent.objects.filter(action="logout", username="tina").exists()
