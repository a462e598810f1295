"""End to end in a real browser: an ROI specialist chooses a document, marks an area
by dragging across the page preview, builds the packet and watches its progress bar
until it is ready; a second specialist approves it from the quality-check queue. The
words under the marked area cannot be found in the packet; the page after it can."""

from __future__ import annotations

import pytest
import r_packet_support as s
from r_release_support import on_court_order
from test_browser import make_user, sign_in

from him import roles
from him.models import Facility
from release_of_info.models import Packet, Redaction, ROIRequest
from release_of_info.services import packet as packet_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_mark_an_area_build_watch_the_progress_and_a_second_person_approves(
    live_server, new_page, monkeypatch
):
    facility = Facility.objects.create(code="MAIN", name="Main Hospital")
    make_user("rita", roles.ROI_SPECIALIST, facility)
    make_user("quinn", roles.ROI_SPECIALIST, facility)
    request = s.roi(facility)
    on_court_order(request, "Case 26-CV-0077")
    consult = s.pdf_document(
        request,
        [["HIV test positive on admission", "Blood pressure stable"], ["Follow up in clinic"]],
        title="Consult",
    )
    # The build message is kept here and run below, as the worker would run it.
    queued: list[int] = []
    monkeypatch.setattr(packet_services, "_enqueue", queued.append)

    page = new_page()
    sign_in(page, live_server.url, "rita")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/roi/requests/{request.public_id}/")
    documents = page.locator("#panel-documents")
    documents.get_by_label("Add a document that matches the request").select_option(
        value=str(consult.public_id)
    )
    documents.get_by_role("button", name="Add").click()
    page.get_by_role("link", name="preview and mark").click()
    preview = page.locator("[data-redact-stage] img")
    preview.wait_for()
    page.wait_for_function("document.querySelector('[data-redact-stage] img').naturalWidth > 0")
    box = preview.bounding_box()
    # Drag across the top fifth of page 1.
    page.mouse.move(box["x"] + 1, box["y"] + 1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.1, steps=4)
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] * 0.2, steps=4)
    page.mouse.up()
    assert 0.18 < float(page.locator("#id_y1").input_value()) < 0.22
    page.get_by_role("button", name="Mark this area").click()
    page.get_by_text("Area 1").wait_for()
    marked = Redaction.objects.get()
    assert (marked.page, round(marked.y0, 1), round(marked.y1, 1)) == (1, 0.0, 0.2)

    page.get_by_role("link", name=f"Back to request {request.number}").click()
    page.locator("#panel-packet").get_by_role("button", name="Build the packet").click()
    bar = page.locator("#panel-packet progress")
    bar.wait_for()
    assert len(queued) == 1
    assert packet_services.packet_build(packet_id=queued[0]) == Packet.Status.READY
    # The bar's poll sees the packet done and reloads the page.
    page.locator("#panel-packet").get_by_text("Ready for quality check").wait_for()
    assert page.locator("#panel-packet progress").count() == 0

    checker = new_page()
    sign_in(checker, live_server.url, "quinn")
    checker.wait_for_url(live_server.url + "/")
    checker.goto(f"{live_server.url}/roi/qa/")
    row = checker.locator("tr", has_text=request.number)
    row.get_by_role("button", name="Approve").click()
    checker.get_by_text("Approved: the packet may be released.").wait_for()

    packet = Packet.objects.get(request=request, status=Packet.Status.APPROVED)
    assert packet.checked_by.username == "quinn"
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.QUALITY_CHECK
    with packet.file.open("rb") as handle:
        text = s.words(handle.read())
    assert "HIV" not in text and "positive" not in text
    assert "Follow up in clinic" in text
