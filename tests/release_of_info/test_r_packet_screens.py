"""The packet screens: picking documents, marking redactions on the preview,
building, quality check and download, all through the policy and the trail."""

from __future__ import annotations

import pytest
import r_packet_support as s
from django.urls import reverse

from him import roles
from him.testing.factories import FacilityFactory, UserFactory
from him.testing.personas import web_client
from release_of_info.models import Packet, Redaction, RequestDocument
from release_of_info.services import packet as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_authorization_rules")]


def test_pick_a_document_mark_an_area_and_see_it_on_the_request_page(facility, specialist):
    request = s.roi(facility)
    document = s.pdf_document(request, [["Confidential line", "Other line"]], title="ED visit")
    client = web_client(specialist)
    detail = reverse("release_of_info:roirequest-detail", args=[request.public_id])
    page = client.get(detail)
    assert page.status_code == 200 and b"ED visit" in page.content  # offered
    client.post(
        reverse("release_of_info:requestdocument-add", args=[request.public_id]),
        {"document": str(document.public_id), "pages": "1"},
    )
    item = RequestDocument.objects.get(request=request)
    assert item.pages == [1] and item.version == document.current_version
    preview = client.get(reverse("release_of_info:item-page", args=[item.pk, 1]))
    assert preview.status_code == 200 and preview.content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = client.post(
        reverse("release_of_info:item-redact", args=[item.pk, 1]),
        {"page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.1, "y1": 0.1},
    )
    assert bad.status_code == 400 and b"empty" in bad.content
    good = client.post(
        reverse("release_of_info:item-redact", args=[item.pk, 1]),
        {"page": 1, "x0": 0.05, "y0": 0.05, "x1": 0.9, "y1": 0.12, "reason": "HIV status"},
    )
    assert good.status_code == 302 and Redaction.objects.filter(item=item).count() == 1
    assert b"1 \xc2\xb7" in client.get(detail).content  # one redaction listed


def test_a_bad_page_range_is_refused_with_a_message(facility, specialist):
    request = s.roi(facility)
    document = s.pdf_document(request, [["a"], ["b"]])
    client = web_client(specialist)
    response = client.post(
        reverse("release_of_info:requestdocument-add", args=[request.public_id]),
        {"document": str(document.public_id), "pages": "1-9"},
        follow=True,
    )
    assert b"has 2 pages" in response.content
    assert not RequestDocument.objects.exists()


def test_preview_of_a_document_out_of_reach_is_404(facility, specialist, trail_watch):
    other = s.roi(FacilityFactory())
    item = s.choose(other, s.pdf_document(other, [["x"]]))
    response = web_client(specialist).get(reverse("release_of_info:item-page", args=[item.pk, 1]))
    assert response.status_code == 404
    assert trail_watch.one(outcome="not_found").object_type == "release_of_info.requestdocument"


def test_build_check_and_download_from_the_screens(
    facility, specialist, eager, trail_watch, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    builder = web_client(specialist)
    with django_capture_on_commit_callbacks(execute=True):
        builder.post(reverse("release_of_info:packet-build", args=[request.public_id]))
    packet = Packet.objects.get()
    assert packet.status == Packet.Status.READY, packet.error
    status = builder.get(reverse("release_of_info:packet-status", args=[packet.public_id])).json()
    assert status["done"] and status["progress"] == 100
    own = builder.post(reverse("release_of_info:packet-check", args=[packet.public_id, "approve"]))
    assert own.status_code == 302
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY  # the builder cannot approve

    checker = web_client(UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility]))
    queue = checker.get(reverse("release_of_info:qa-queue"))
    assert request.number.encode() in queue.content
    checker.post(reverse("release_of_info:packet-check", args=[packet.public_id, "approve"]))
    packet.refresh_from_db()
    assert packet.status == Packet.Status.APPROVED
    trail_watch.mark()
    got = checker.get(reverse("release_of_info:packet-download", args=[packet.public_id]))
    assert got.status_code == 200 and b"".join(got.streaming_content)[:5] == b"%PDF-"
    assert trail_watch.one(action="export").object_type == "release_of_info.packet"
    assert services.packet_verify(packet)


def test_an_auditor_may_not_download_a_packet(
    facility, specialist, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    packet = services.packet_request_build(roi=request, user=specialist)
    services.packet_build(packet_id=packet.pk)
    auditor = UserFactory(roles=[roles.AUDITOR], facilities=[facility])
    response = web_client(auditor).get(
        reverse("release_of_info:packet-download", args=[packet.public_id])
    )
    assert response.status_code == 403
