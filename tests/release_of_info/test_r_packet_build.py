"""Building a release packet: only what is covered, truly redacted, stamped, hashed,
and checked by a second person."""

from __future__ import annotations

import datetime as dt

import pytest
import r_packet_support as s
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from him import roles
from him.testing.factories import UserFactory
from records.models import Sensitivity
from release_of_info import hooks
from release_of_info.models import Packet, RequestDocument, ROIRequest
from release_of_info.services import packet as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_authorization_rules", "eager")]


@pytest.fixture
def builder(facility):
    return UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility])


@pytest.fixture
def checker(facility):
    return UserFactory(roles=[roles.ROI_SPECIALIST], facilities=[facility])


def build(request, user, capture):
    with capture(execute=True):
        packet = services.packet_request_build(roi=request, user=user)
    packet.refresh_from_db()
    return packet


def read(packet) -> bytes:
    with packet.file.open("rb") as handle:
        return handle.read()


def test_redacted_words_are_gone_and_their_neighbours_stay(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    doc = s.pdf_document(
        request,
        [["HIV test positive on admission", "Blood pressure stable"], ["Follow up in clinic"]],
    )
    item = s.choose(request, doc)
    s.redact(item, 1, box=(0.0, 0.0, 1.0, 0.115))  # the top line of page 1 only
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert packet.status == Packet.Status.READY, packet.error
    text = s.words(read(packet))
    assert "HIV" not in text and "positive" not in text
    assert "Follow up in clinic" in text
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.QUALITY_CHECK


def test_bates_numbers_run_across_documents_and_every_page_has_the_footer(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["one"], ["two"]]), position=1)
    s.choose(request, s.text_document(request, "Progress note text"), position=2)
    packet = build(request, builder, django_capture_on_commit_callbacks)
    pages = s.page_texts(read(packet))
    prefix = packet.bates_prefix
    assert "Invoice" in pages[1] and "release of information" in pages[0]
    body = pages[2:]
    assert [f"{prefix}-{n:06d}" in page for n, page in enumerate(body, start=1)] == [True] * 3
    assert all(f"Released to {request.requester.name}" in page for page in body)
    assert packet.page_count == 5
    assert "Progress note text" in body[2]


def test_a_typeset_text_page_carries_its_stamp_once_like_any_other_page(
    facility, builder, django_capture_on_commit_callbacks
):
    # Text pages get their stamp written into their own content; the others after.
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["one"]]), position=1)
    long_note = "\n".join(f"Note line {n}" for n in range(1, 131))  # three pages
    s.choose(request, s.text_document(request, long_note), position=2)
    s.choose(request, s.pdf_document(request, [["last"]]), position=3)
    packet = build(request, builder, django_capture_on_commit_callbacks)
    body = s.page_texts(read(packet))[2:]
    prefix = packet.bates_prefix
    assert len(body) == 5
    for n, page in enumerate(body, start=1):
        assert page.count(f"{prefix}-{n:06d}") == 1, page
        assert page.count(f"Released to {request.requester.name}") == 1, page
        assert page.count(f"{prefix}-") == 1, page
    assert "Note line 1 " in body[1] and "Note line 130" in body[3]


def test_a_bates_prefix_with_pdf_special_characters_is_printed_as_typed(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["one"]]), position=1)
    s.choose(request, s.text_document(request, "a note"), position=2)
    with django_capture_on_commit_callbacks(execute=True):
        packet = services.packet_request_build(roi=request, user=builder, bates_prefix="a(b)%c\\")
    packet.refresh_from_db()
    assert packet.status == Packet.Status.READY, packet.error
    body = s.page_texts(read(packet))[2:]
    assert ["A(B)%C\\-000001" in body[0], "A(B)%C\\-000002" in body[1]] == [True, True]


def test_a_released_page_goes_out_byte_for_byte_and_typeset_text_is_compressed(
    facility, builder, django_capture_on_commit_callbacks
):
    # The packet copies a filed PDF's page content as it is (not decoded and
    # re-encoded); the text pages it typesets itself are compressed.
    import io

    import pikepdf

    request = s.roi(facility)
    doc = s.pdf_document(request, [["Discharge summary as filed"]])
    s.choose(request, doc, position=1)
    s.choose(request, s.text_document(request, "Typeset line\n" * 40), position=2)
    with doc.current_version.file.open("rb") as handle:
        source = pikepdf.open(io.BytesIO(handle.read()))
    filed = source.pages[0].obj.Contents
    packet = pikepdf.open(
        io.BytesIO(read(build(request, builder, django_capture_on_commit_callbacks)))
    )
    released, typeset = packet.pages[2].obj.Contents, packet.pages[3].obj.Contents
    # The released page: our q, the page's own stream untouched, then the stamp.
    assert released[1].read_raw_bytes() == filed.read_raw_bytes()
    assert released[1].get("/Filter") == filed.get("/Filter")
    assert typeset.get("/Filter") == pikepdf.Name.FlateDecode
    assert b"Typeset line" in typeset.read_bytes()
    assert b"Typeset line" not in typeset.read_raw_bytes()


def _secured(data: bytes, *, user: str) -> bytes:
    import io

    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner-secret", user=user, R=6))
    return out.getvalue()


def test_a_secured_pdf_goes_out_readable_and_one_needing_a_password_fails_clearly(
    facility, builder, django_capture_on_commit_callbacks
):
    # Scans often come "secured" (an owner password, no password to open): the packet
    # carries their pages decrypted. One that needs a password to open cannot go.
    import pikepdf

    request = s.roi(facility)
    secured = s.pdf_document(request, [["Secured scan of the consult"]])
    with secured.current_version.file.open("rb") as handle:
        data = handle.read()
    secured.current_version.file.save("secured.pdf", ContentFile(_secured(data, user="")))
    s.choose(request, secured)
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert packet.status == Packet.Status.READY, packet.error
    assert "Secured scan of the consult" in s.words(read(packet))
    with pikepdf.open(packet.file.path) as released:
        assert not released.is_encrypted

    request = s.roi(facility)
    locked = s.pdf_document(request, [["Locked"]])
    locked.current_version.file.save("locked.pdf", ContentFile(_secured(data, user="open")))
    s.choose(request, locked)
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert packet.status == Packet.Status.FAILED
    assert "is protected by a password" in packet.error


def test_chosen_pages_only(facility, builder, django_capture_on_commit_callbacks):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["alpha"], ["bravo"], ["charlie"]]), pages=[2])
    text = s.words(read(build(request, builder, django_capture_on_commit_callbacks)))
    assert "bravo" in text and "alpha" not in text and "charlie" not in text


def test_a_document_the_authorization_does_not_cover_is_left_out_with_the_reason(
    facility, builder, django_capture_on_commit_callbacks, monkeypatch
):
    request = s.roi(facility)
    kept = s.choose(request, s.pdf_document(request, [["kept page"]]), position=1)
    dropped = s.choose(
        request, s.pdf_document(request, [["therapy session"]], title="Therapy"), position=2
    )

    def coverage(request, documents):
        return [
            "psychotherapy notes need their own authorization" if d.pk == dropped.pk else None
            for d in documents
        ]

    monkeypatch.setitem(hooks._handlers, hooks.DOCUMENT_COVERAGE, [coverage])
    packet = build(request, builder, django_capture_on_commit_callbacks)
    text = s.words(read(packet))
    assert "kept page" in text and "therapy session" not in text
    dropped.refresh_from_db()
    kept.refresh_from_db()
    assert not dropped.included and "psychotherapy" in dropped.excluded_reason
    assert kept.included


def test_the_part2_notice_comes_only_with_part2_records(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["plain"]]))
    plain = build(request, builder, django_capture_on_commit_callbacks)
    assert not plain.includes_part2 and "42 CFR part 2" not in s.words(read(plain))
    other = s.roi(facility)
    s.choose(other, s.pdf_document(other, [["counselling"]], sensitivity=Sensitivity.PART2))
    part2 = build(other, builder, django_capture_on_commit_callbacks)
    assert part2.includes_part2
    assert "protected by federal confidentiality rules (42 CFR part 2)" in s.words(read(part2))


def test_a_failing_release_check_refuses_the_build(facility, builder, monkeypatch):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    monkeypatch.setitem(
        hooks._handlers, hooks.RELEASE_CHECKS, [lambda request: ["the authorization is revoked"]]
    )
    with pytest.raises(ValidationError, match="revoked"):
        services.packet_request_build(roi=request, user=builder)
    assert not Packet.objects.exists()


def test_an_unreadable_document_fails_the_build_with_a_message(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    item = s.choose(request, s.pdf_document(request, [["x"]], title="Scan"))
    with item.version.file.open("wb") as handle:
        handle.write(b"%PDF-1.7 this is not really a pdf")
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert packet.status == Packet.Status.FAILED
    assert "Scan" in packet.error and "not a valid PDF" in packet.error
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.IN_PROCESS


def test_verify_finds_one_flipped_byte(facility, builder, django_capture_on_commit_callbacks):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert services.packet_verify(packet)
    data = bytearray(read(packet))
    data[len(data) // 3] ^= 0x01
    with packet.file.open("wb") as handle:
        handle.write(bytes(data))
    assert not services.packet_verify(packet)


def test_a_second_person_checks(facility, builder, checker, django_capture_on_commit_callbacks):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    packet = build(request, builder, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="second person"):
        services.packet_approve(packet=packet, user=builder)
    with pytest.raises(ValidationError, match="what is wrong"):
        services.packet_reject(packet=packet, user=checker, note="  ")
    rejected = services.packet_reject(packet=packet, user=checker, note="Page 2 is another patient")
    assert rejected.status == Packet.Status.REJECTED
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.IN_PROCESS
    again = build(request, builder, django_capture_on_commit_callbacks)
    approved = services.packet_approve(packet=again, user=checker)
    assert approved.status == Packet.Status.APPROVED and approved.checked_by == checker


def test_a_new_build_supersedes_the_previous_packet(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    first = build(request, builder, django_capture_on_commit_callbacks)
    ROIRequest.objects.filter(pk=request.pk).update(status=ROIRequest.Status.IN_PROCESS)
    request.refresh_from_db()
    second = build(request, builder, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == Packet.Status.SUPERSEDED and second.status == Packet.Status.READY


def test_a_second_delivery_of_the_task_builds_nothing_twice(
    facility, builder, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["x"]]))
    packet = build(request, builder, django_capture_on_commit_callbacks)
    assert services.packet_build(packet_id=packet.pk) == "skipped"
    assert RequestDocument.objects.count() == 1


def _lost(request, **fields) -> Packet:
    packet = Packet.objects.create(request=request, bates_prefix="LOST", **fields)
    Packet.objects.filter(pk=packet.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    return packet


def test_beat_builds_a_packet_whose_message_was_lost_or_whose_worker_died(
    facility, django_capture_on_commit_callbacks
):
    request = s.roi(facility)
    s.choose(request, s.pdf_document(request, [["recovered page"]]))
    queued = _lost(request, status=Packet.Status.QUEUED)
    fresh = Packet.objects.create(request=request, status=Packet.Status.QUEUED, bates_prefix="NEW")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.packets_requeue_stale() == [queued.pk]
    queued.refresh_from_db()
    fresh.refresh_from_db()
    assert queued.status == Packet.Status.READY and "recovered page" in s.words(read(queued))
    assert fresh.status == Packet.Status.QUEUED  # still within its grace period

    other = s.roi(facility)
    s.choose(other, s.pdf_document(other, [["second try"]]))
    died = _lost(
        other,
        status=Packet.Status.BUILDING,
        attempts=1,
        lease_until=timezone.now() - dt.timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.packets_requeue_stale() == [died.pk]
    died.refresh_from_db()
    assert died.status == Packet.Status.READY and died.attempts == 2


def test_beat_gives_up_on_a_packet_out_of_attempts_and_says_so(facility):
    request = s.roi(facility)
    packet = _lost(
        request,
        status=Packet.Status.BUILDING,
        attempts=services.MAX_ATTEMPTS,
        lease_until=timezone.now() - dt.timedelta(minutes=1),
    )
    assert services.packets_requeue_stale() == []
    packet.refresh_from_db()
    assert packet.status == Packet.Status.FAILED
    assert "could not be built after 3 attempts" in packet.error
