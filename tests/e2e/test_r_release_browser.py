"""End to end in a real browser: an ROI specialist releases an approved packet by
secure link; the recipient, with no account, downloads it with the passcode; the
link then refuses a second download."""

from __future__ import annotations

import re

import pytest
import r_release_support as s
from test_browser import make_user, sign_in

from him import roles
from him.models import AccessEvent, Facility
from release_of_info.models import Delivery, Disclosure, ROIRequest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_release_by_secure_link_and_download_once(live_server, new_page, tmp_path):
    facility = Facility.objects.create(code="MAIN", name="Main Hospital")
    make_user("rita", roles.ROI_SPECIALIST, facility)
    request = s.roi(facility, kind="court", purpose="legal")
    packet = s.packet(request, text="Operative report")
    s.on_court_order(request)

    page = new_page()
    sign_in(page, live_server.url, "rita")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/roi/requests/{request.public_id}/")
    panel = page.locator("#panel-delivery")
    panel.get_by_label("Downloads allowed").fill("1")
    panel.get_by_label("Passcode").fill("river-stone-7")
    panel.get_by_role("button", name="Release").click()
    page.wait_for_url(re.compile("/release/$"))
    link = page.locator("#link").input_value()
    assert "/roi/d/" in link
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.RELEASED

    recipient = new_page()  # no account, its own cookies
    recipient.goto(link)
    recipient.get_by_label("Passcode").fill("river-stone-7")
    with recipient.expect_download() as download:
        recipient.get_by_role("button", name=re.compile("Download")).click()
    saved = tmp_path / "records.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == packet.file.open("rb").read()

    recipient.goto(link)
    assert "already used as many times as allowed" in recipient.locator("main").inner_text() or (
        "download limit" in recipient.locator("main").inner_text()
    )
    assert Delivery.objects.get().download_count == 1
    # A court-ordered release is in the patient's accounting of disclosures.
    assert Disclosure.objects.get(request=request).basis == Disclosure.Basis.JUDICIAL
    assert AccessEvent.objects.filter(action="disclose", outcome="success").count() >= 2
