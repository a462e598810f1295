"""The packet part over the REST API: choosing documents and pages, marking
redactions, building a packet in the background, the second person's check, and
the download; each under the access policy, with the trail."""

from __future__ import annotations

import itertools

import pytest
import r_packet_support as s

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract, error_message, results
from him.testing.personas import api_client
from him.trail import Action, Outcome
from release_of_info.models import Packet, Redaction, RequestDocument, ROIRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_authorization_rules", "eager")]

ROOT = "/api/v1/roi/"
ITEMS = f"{ROOT}request-documents/"
REDACTIONS = f"{ROOT}redactions/"
PACKETS = f"{ROOT}packets/"

_keys = itertools.count(7_340_001)


# The generic permission and trail contract -------------------------------------------------


class TestRequestDocumentContract(PolicyContract):
    model = RequestDocument
    writer_role = roles.ROI_SPECIALIST
    reader_role = roles.AUDITOR
    facility_field = "request__facility"
    api_list_url = ITEMS

    def make(self, facility):
        request = s.roi(facility)
        document = s.text_document(request, "Progress note for the chart")
        # A key long enough not to turn up by chance in another record's JSON (a
        # position, a version number) when the contract looks for it in a body.
        return RequestDocument.objects.create(
            pk=next(_keys),
            request=request,
            document=document,
            version=document.current_version,
            position=1,
        )

    def api_detail_url(self, obj) -> str:
        return f"{ITEMS}{obj.pk}/"

    def create_payload(self, facility) -> dict:
        request = s.roi(facility)
        document = s.text_document(request, "Progress note for the chart")
        return {"request": str(request.public_id), "document": str(document.public_id)}

    def search_params(self, obj) -> dict:
        return {"request": str(obj.request.public_id)}


# Behaviour ---------------------------------------------------------------------------------


@pytest.fixture
def personas():
    from him.testing.personas import Personas

    return Personas.create(writer_role=roles.ROI_SPECIALIST, reader_role=roles.AUDITOR)


@pytest.fixture
def builder(personas):
    return personas.writer


@pytest.fixture
def checker(personas):
    return UserFactory(
        username="checker", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )


@pytest.fixture
def request_with_document(personas):
    request = s.roi(personas.facility)
    s.choose(request, s.pdf_document(request, [["alpha page"], ["bravo page"]]))
    return request


def build(client, request, capture, **extra):
    with capture(execute=True):
        response = client.post(
            f"{PACKETS}build/", {"request": str(request.public_id), **extra}, format="json"
        )
    return response


def built_packet(personas, request, capture) -> Packet:
    response = build(api_client(personas.writer), request, capture)
    assert response.status_code == 202, response.content
    return Packet.objects.get(public_id=response.json()["public_id"])


def test_build_answers_202_with_a_status_url_and_the_packet_is_then_ready(
    personas, builder, request_with_document, django_capture_on_commit_callbacks, trail_watch
):
    client = api_client(builder)
    response = build(
        client, request_with_document, django_capture_on_commit_callbacks, bates_prefix="smith"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == Packet.Status.QUEUED
    assert body["done"] is False
    assert body["status_url"].endswith(f"{PACKETS}{body['public_id']}/")

    polled = client.get(body["status_url"])
    assert polled.status_code == 200
    packet = polled.json()
    assert packet["status"] == Packet.Status.READY, packet["error"]
    assert packet["done"] is True and packet["progress"] == 100
    assert packet["page_count"] == 4  # cover letter, invoice, two pages
    assert len(packet["sha256"]) == 64
    assert packet["bates_prefix"] == "SMITH"
    assert packet["includes_part2"] is False
    assert packet["requested_by"] == builder.username
    assert packet["download_url"].endswith("/download/")
    request_with_document.refresh_from_db()
    assert request_with_document.status == ROIRequest.Status.QUALITY_CHECK
    row = trail_watch.rows(action=Action.CREATE, object_type="release_of_info.packet")[0]
    assert row.user_id == builder.pk


def test_packets_list_filters_by_request(
    personas, request_with_document, django_capture_on_commit_callbacks
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    other = s.roi(personas.facility)
    client = api_client(personas.reader)
    shown = results(client.get(PACKETS, {"request": str(request_with_document.public_id)}))
    assert [p["public_id"] for p in shown] == [str(packet.public_id)]
    assert results(client.get(PACKETS, {"request": str(other.public_id)})) == []


def test_the_builder_cannot_approve_their_own_packet(
    personas, request_with_document, django_capture_on_commit_callbacks
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    response = api_client(personas.writer).post(
        f"{PACKETS}{packet.public_id}/approve/", {"note": "fine"}, format="json"
    )
    assert response.status_code == 400
    assert "second person" in error_message(response)
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY


def test_a_second_person_approves(
    personas, checker, request_with_document, django_capture_on_commit_callbacks
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    response = api_client(checker).post(
        f"{PACKETS}{packet.public_id}/approve/", {"note": "pages and redactions checked"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == Packet.Status.APPROVED
    assert body["checked_by"] == checker.username
    assert body["check_note"] == "pages and redactions checked"


def test_reject_needs_a_note_then_sends_the_request_back(
    personas, checker, request_with_document, django_capture_on_commit_callbacks
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    client = api_client(checker)
    url = f"{PACKETS}{packet.public_id}/reject/"
    response = client.post(url, {"note": "  "}, format="json")
    assert response.status_code == 400
    assert "Say what is wrong" in error_message(response)
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY

    response = client.post(url, {"note": "page 2 belongs to another visit"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Packet.Status.REJECTED
    request_with_document.refresh_from_db()
    assert request_with_document.status == ROIRequest.Status.IN_PROCESS


def test_a_role_that_may_not_check_packets_gets_403_and_a_denial_row(
    personas, request_with_document, django_capture_on_commit_callbacks, trail_watch
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    # Change permission on packets, but not the approval one.
    clerk = UserFactory(
        username="clerk", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )
    from django.contrib.auth.models import Permission

    clerk.groups.clear()
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="release_of_info",
            codename__in=["view_packet", "change_packet"],
        )
    )
    trail_watch.mark()
    response = api_client(clerk).post(
        f"{PACKETS}{packet.public_id}/approve/", {"note": ""}, format="json"
    )
    assert response.status_code == 403
    assert "may not check packets" in error_message(response)
    row = trail_watch.one(action=Action.DENIED, object_type="release_of_info.packet")
    assert row.outcome == Outcome.DENIED and row.object_id == str(packet.public_id)
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY


def test_download_is_an_export_for_the_roi_specialist_and_403_for_the_auditor(
    personas, request_with_document, django_capture_on_commit_callbacks, trail_watch
):
    packet = built_packet(personas, request_with_document, django_capture_on_commit_callbacks)
    url = f"{PACKETS}{packet.public_id}/download/"

    trail_watch.mark()
    refused = api_client(personas.reader).get(url)
    assert refused.status_code == 403
    assert "may not download" in error_message(refused)
    row = trail_watch.one(object_type="release_of_info.packet")
    assert (row.action, row.outcome) == (Action.DENIED, Outcome.DENIED)

    trail_watch.mark()
    response = api_client(personas.writer).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert "bravo page" in s.words(data)
    row = trail_watch.one(action=Action.EXPORT, object_type="release_of_info.packet")
    assert row.user_id == personas.writer.pk


def test_packets_of_another_facility_are_404(
    personas, django_capture_on_commit_callbacks, trail_watch
):
    request = s.roi(personas.other_facility)
    s.choose(request, s.text_document(request, "Elsewhere"))
    outsider = personas.outsider
    with django_capture_on_commit_callbacks(execute=True):
        from release_of_info.services import packet as services

        packet = services.packet_request_build(roi=request, user=outsider)
    client = api_client(personas.writer)
    for method, path in (
        ("get", ""),
        ("get", "download/"),
        ("post", "approve/"),
        ("post", "reject/"),
    ):
        trail_watch.mark()
        response = getattr(client, method)(f"{PACKETS}{packet.public_id}/{path}", {"note": "x"})
        assert response.status_code == 404, path
        assert trail_watch.one(object_type="release_of_info.packet").outcome == Outcome.NOT_FOUND


def test_building_for_a_request_out_of_scope_is_refused_and_creates_nothing(
    personas, django_capture_on_commit_callbacks, trail_watch
):
    elsewhere = s.roi(personas.other_facility)
    s.choose(elsewhere, s.text_document(elsewhere, "Elsewhere"))
    response = build(api_client(personas.writer), elsewhere, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["fields"]["request"] == ["No such record, or it is outside your access."]
    assert not Packet.objects.exists()
    row = trail_watch.one(object_type="release_of_info.roirequest")
    assert (row.outcome, row.object_id) == (Outcome.NOT_FOUND, str(elsewhere.public_id))


def test_building_with_nothing_chosen_says_what_to_do(personas, django_capture_on_commit_callbacks):
    request = s.roi(personas.facility)
    response = build(api_client(personas.writer), request, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Choose at least one document" in error_message(response)
    assert not Packet.objects.exists()


def test_the_auditor_may_not_build(
    personas, request_with_document, django_capture_on_commit_callbacks
):
    response = build(
        api_client(personas.reader), request_with_document, django_capture_on_commit_callbacks
    )
    assert response.status_code == 403
    assert not Packet.objects.exists()


# Choosing documents and pages ----------------------------------------------------------------


def test_choose_a_document_with_pages_then_change_them(personas):
    request = s.roi(personas.facility)
    document = s.pdf_document(request, [["one"], ["two"], ["three"]])
    client = api_client(personas.writer)
    response = client.post(
        ITEMS,
        {"request": str(request.public_id), "document": str(document.public_id), "pages": "1, 3"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pages"] == [1, 3] and body["included"] is True
    assert body["document"] == str(document.public_id)

    response = client.post(f"{ITEMS}{body['id']}/pages/", {"pages": "2-3"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["pages"] == [2, 3]
    listed = results(client.get(ITEMS, {"request": str(request.public_id)}))
    assert [i["id"] for i in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ("1-x", "is not a page or a range like 2-5"),
        ("3-1", "is not a valid page range"),
        ("2, 9", "has 3 pages; page 9 is not in it"),
    ],
)
def test_a_bad_page_range_is_400_with_a_clear_message_and_saves_nothing(personas, pages, message):
    request = s.roi(personas.facility)
    document = s.pdf_document(request, [["one"], ["two"], ["three"]])
    client = api_client(personas.writer)
    response = client.post(
        ITEMS,
        {"request": str(request.public_id), "document": str(document.public_id), "pages": pages},
        format="json",
    )
    assert response.status_code == 400
    assert message in error_message(response)
    assert not RequestDocument.objects.exists()

    item = s.choose(request, document, pages=[1])
    response = client.post(f"{ITEMS}{item.pk}/pages/", {"pages": pages}, format="json")
    assert response.status_code == 400
    assert message in error_message(response)
    item.refresh_from_db()
    assert item.pages == [1]


def test_choosing_for_a_request_or_document_out_of_scope_creates_nothing(personas, trail_watch):
    mine = s.roi(personas.facility)
    elsewhere = s.roi(personas.other_facility)
    their_document = s.text_document(elsewhere, "Elsewhere")
    my_document = s.text_document(mine, "Mine")
    client = api_client(personas.writer)
    for request, document, field in (
        (elsewhere, my_document, "request"),
        (mine, their_document, "document"),
    ):
        trail_watch.mark()
        response = client.post(
            ITEMS,
            {"request": str(request.public_id), "document": str(document.public_id)},
            format="json",
        )
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
        assert trail_watch.rows(outcome=Outcome.NOT_FOUND)
    assert not RequestDocument.objects.exists()


def test_a_document_of_another_patient_is_refused(personas):
    request = s.roi(personas.facility)
    other = s.roi(personas.facility)
    document = s.text_document(other, "Someone else's note")
    response = api_client(personas.writer).post(
        ITEMS,
        {"request": str(request.public_id), "document": str(document.public_id)},
        format="json",
    )
    assert response.status_code == 400
    assert "another patient" in error_message(response)


def test_order_leave_out_take_back_and_remove(personas, trail_watch):
    request = s.roi(personas.facility)
    first = s.choose(request, s.text_document(request, "First"), position=1)
    second = s.choose(request, s.text_document(request, "Second"), position=2)
    client = api_client(personas.writer)

    response = client.post(f"{ITEMS}{second.pk}/move/", {"up": True}, format="json")
    assert response.status_code == 200, response.content
    listed = results(client.get(ITEMS, {"request": str(request.public_id)}))
    assert [i["id"] for i in listed] == [second.pk, first.pk]

    response = client.post(f"{ITEMS}{first.pk}/exclude/", {"reason": ""}, format="json")
    assert response.status_code == 400
    response = client.post(
        f"{ITEMS}{first.pk}/exclude/", {"reason": "not in the date range"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["included"] is False
    assert response.json()["excluded_reason"] == "not in the date range"

    response = client.post(f"{ITEMS}{first.pk}/include/")
    assert response.status_code == 200
    assert response.json()["included"] is True

    trail_watch.mark()
    response = client.delete(f"{ITEMS}{first.pk}/")
    assert response.status_code == 204
    assert not RequestDocument.objects.filter(pk=first.pk).exists()
    trail_watch.one(action=Action.DELETE, object_type="release_of_info.requestdocument")


def test_documents_cannot_change_once_the_packet_is_in_quality_check(personas):
    request = s.roi(personas.facility, status=ROIRequest.Status.QUALITY_CHECK)
    item = s.choose(request, s.text_document(request, "Note"))
    response = api_client(personas.writer).post(
        f"{ITEMS}{item.pk}/pages/", {"pages": "1"}, format="json"
    )
    assert response.status_code == 400
    assert "cannot change now" in error_message(response)


# Redactions -------------------------------------------------------------------------------


def test_mark_list_and_remove_a_redaction(personas, trail_watch):
    request = s.roi(personas.facility)
    item = s.choose(request, s.pdf_document(request, [["HIV status"], ["other"]]))
    client = api_client(personas.writer)
    box = {"item": item.pk, "page": 1, "x0": 0.6, "y0": 0.0, "x1": 0.1, "y1": 0.2}
    response = client.post(REDACTIONS, {**box, "reason": "HIV"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["x0"], body["x1"]) == (0.1, 0.6)  # corners in any order
    trail_watch.one(action=Action.CREATE, object_type="release_of_info.redaction")

    listed = results(client.get(REDACTIONS, {"item": item.pk}))
    assert [r["id"] for r in listed] == [body["id"]]

    response = client.delete(f"{REDACTIONS}{body['id']}/")
    assert response.status_code == 204
    assert not Redaction.objects.exists()


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ({"page": 3}, "has 2 pages; page 3 is not in it"),
        ({"x1": 0.1005}, "The marked area is empty"),
        ({"x1": 1.5}, "x1"),
    ],
)
def test_a_bad_redaction_is_400_and_saves_nothing(personas, box, message):
    request = s.roi(personas.facility)
    item = s.choose(request, s.pdf_document(request, [["one"], ["two"]]))
    body = {"item": item.pk, "page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.5, "y1": 0.5, **box}
    response = api_client(personas.writer).post(REDACTIONS, body, format="json")
    assert response.status_code == 400
    assert message in error_message(response)
    assert not Redaction.objects.exists()


def test_a_redaction_on_a_document_out_of_scope_is_refused(personas):
    elsewhere = s.roi(personas.other_facility)
    item = s.choose(elsewhere, s.text_document(elsewhere, "Elsewhere"))
    response = api_client(personas.writer).post(
        REDACTIONS,
        {"item": item.pk, "page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.5, "y1": 0.5},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["item"] == [
        "No such record, or it is outside your access."
    ]
    assert not Redaction.objects.exists()


# Picking aids ------------------------------------------------------------------------------


def test_candidates_are_the_patients_documents_not_chosen_yet(personas, trail_watch):
    request = s.roi(personas.facility)
    chosen = s.text_document(request, "Already chosen")
    s.choose(request, chosen)
    waiting = s.text_document(request, "Waiting")
    s.text_document(s.roi(personas.facility), "Another patient's note")
    client = api_client(personas.writer)
    response = client.get(f"{ITEMS}candidates/", {"request": str(request.public_id)})
    assert response.status_code == 200, response.content
    assert [d["public_id"] for d in response.json()] == [str(waiting.public_id)]
    row = trail_watch.one(action=Action.READ, object_type="records.document")
    assert row.patient_id == request.patient_id

    elsewhere = s.roi(personas.other_facility)
    response = client.get(f"{ITEMS}candidates/", {"request": str(elsewhere.public_id)})
    assert response.status_code == 400
    assert "request" in response.json()["error"]["fields"]


def test_page_preview_is_a_png_and_a_read_of_the_document(personas, trail_watch):
    request = s.roi(personas.facility)
    document = s.pdf_document(request, [["one"], ["two"]])
    item = s.choose(request, document)
    client = api_client(personas.reader)
    response = client.get(f"{ITEMS}{item.pk}/preview/", {"page": 2})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    row = trail_watch.one(action=Action.READ, object_type="records.document")
    assert row.object_id == str(document.public_id)

    response = client.get(f"{ITEMS}{item.pk}/preview/", {"page": 3})
    assert response.status_code == 400
    assert "has no page 3" in error_message(response)


@pytest.mark.parametrize("path", [ITEMS, REDACTIONS, PACKETS, f"{ITEMS}candidates/"])
def test_anonymous_callers_get_401(db, path):
    response = api_client().get(path)
    assert response.status_code == 401
    error_message(response)


def test_anonymous_build_is_401_and_builds_nothing(personas, request_with_document):
    response = api_client().post(
        f"{PACKETS}build/", {"request": str(request_with_document.public_id)}, format="json"
    )
    assert response.status_code == 401
    assert not Packet.objects.exists()


@pytest.mark.parametrize("key", ["not-a-uuid", "", "12345678-1234-1234-1234-123456789abc"])
def test_a_malformed_or_unknown_request_key_is_a_field_error(personas, key):
    response = api_client(personas.writer).post(f"{PACKETS}build/", {"request": key}, format="json")
    assert response.status_code == 400
    assert "request" in response.json()["error"]["fields"]
    assert not Packet.objects.exists()
