"""Releasing records: only an approved, intact packet leaves; the secure link is
the recipient's only key and it stops when it should."""

from __future__ import annotations

import datetime as dt

import pytest
import r_release_support as s
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from him import roles
from him.models import AccessEvent
from him.testing.factories import UserFactory
from him.testing.personas import web_client
from release_of_info import hooks
from release_of_info.models import Delivery, Disclosure, Packet, ROIRequest
from release_of_info.services import release as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_release_rules")]


@pytest.fixture
def ready(facility):
    request = s.roi(facility)
    return request, s.packet(request)


def release_link(request, user, **kwargs):
    return services.roi_release(roi=request, user=user, method="secure_link", **kwargs)


def test_release_by_link_marks_everything_released_and_keeps_only_the_token_digest(
    ready, specialist, trail_watch
):
    request, packet = ready
    result = release_link(request, specialist, passcode="tulip-42")
    request.refresh_from_db()
    packet.refresh_from_db()
    assert request.status == ROIRequest.Status.RELEASED and request.released_at
    assert packet.status == Packet.Status.RELEASED
    delivery = result.delivery
    assert len(result.token) >= 40
    assert result.token not in delivery.token_sha256
    assert delivery.token_sha256 == services.token_digest(result.token)
    assert delivery.passcode_hash and "tulip-42" not in delivery.passcode_hash
    assert delivery.expires_at > timezone.now() + dt.timedelta(days=13)
    assert (
        trail_watch.one(action="disclose", object_type="release_of_info.roirequest").outcome
        == "success"
    )


def test_nothing_is_released_without_a_packet_approved_by_a_second_person(facility, specialist):
    request = s.roi(facility)
    s.packet(request, status=Packet.Status.READY)
    with pytest.raises(ValidationError, match="second person must approve"):
        release_link(request, specialist)
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.QUALITY_CHECK
    assert not Delivery.objects.exists()


def test_a_failing_release_check_stops_the_release_and_says_why(ready, specialist, monkeypatch):
    request, _ = ready
    monkeypatch.setitem(
        hooks._handlers, hooks.RELEASE_CHECKS, [lambda request: ["the authorization expired"]]
    )
    with pytest.raises(ValidationError, match="authorization expired"):
        release_link(request, specialist)
    assert not Delivery.objects.exists()


def test_a_packet_changed_after_it_was_built_is_not_released(ready, specialist, trail_watch):
    request, packet = ready
    path = packet.file.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    with pytest.raises(ValidationError, match="SHA-256"):
        release_link(request, specialist)
    request.refresh_from_db()
    assert request.status == ROIRequest.Status.QUALITY_CHECK
    assert not Delivery.objects.exists()


def test_a_role_without_release_permission_is_refused(ready, facility):
    request, _ = ready
    auditor = UserFactory(roles=[roles.AUDITOR], facilities=[facility])
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        release_link(request, auditor)


def test_mail_needs_a_mailing_date_not_in_the_future(ready, specialist):
    request, _ = ready
    with pytest.raises(ValidationError) as err:
        services.roi_release(
            roi=request,
            user=specialist,
            method="mail",
            mailed_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "future" in str(err.value)
    result = services.roi_release(
        roi=request,
        user=specialist,
        method="mail",
        mailed_on=timezone.localdate(),
        carrier="USPS",
        tracking_number="9400 1000",
    )
    assert result.token == "" and result.delivery.tracking_number == "9400 1000"


# The recipient's side --------------------------------------------------------------------


def link(token):
    return reverse("release_of_info:link", args=[token])


def test_the_recipient_downloads_without_an_account_and_each_download_is_counted(
    ready, specialist, trail_watch
):
    request, packet = ready
    token = release_link(request, specialist, max_downloads=2).token
    client = web_client()
    page = client.get(link(token))
    assert page.status_code == 200 and b"Download the records" in page.content
    assert page["Cache-Control"] == "no-store"
    trail_watch.mark()
    got = client.post(link(token), REMOTE_ADDR="203.0.113.9")
    assert got.status_code == 200
    with open(packet.file.path, "rb") as handle:
        assert b"".join(got.streaming_content) == handle.read()
    row = trail_watch.one(action="disclose", object_type="release_of_info.delivery")
    assert row.ip == "203.0.113.9" and row.outcome == "success"
    assert Delivery.objects.get().download_count == 1


def test_a_link_past_its_download_count_gives_nothing_and_says_so(ready, specialist, trail_watch):
    request, _ = ready
    token = release_link(request, specialist, max_downloads=1).token
    client = web_client()
    assert client.post(link(token)).status_code == 200
    trail_watch.mark()
    again = client.post(link(token))
    assert again.status_code == 403
    assert b"already used as many times as allowed" in again.content
    assert trail_watch.one(action="disclose").outcome == "denied"
    assert Delivery.objects.get().download_count == 1


def test_an_expired_link_gives_nothing(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist).token
    Delivery.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = web_client().post(link(token))
    assert response.status_code == 403 and b"expired" in response.content


def test_a_revoked_link_gives_nothing(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist).token
    services.delivery_revoke(
        delivery=Delivery.objects.get(), user=specialist, reason="sent to the wrong address"
    )
    response = web_client().post(link(token))
    assert response.status_code == 403 and b"withdrawn by the sender" in response.content


def test_a_wrong_passcode_counts_down_and_then_locks_the_link(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist, passcode="tulip-42").token
    client = web_client()
    first = client.post(link(token), {"passcode": "guess-1"})
    assert first.status_code == 403 and b"4 tries left" in first.content
    for _ in range(4):
        client.post(link(token), {"passcode": "guess"})
    locked = client.post(link(token), {"passcode": "tulip-42"})
    assert locked.status_code == 403 and b"locked" in locked.content
    assert Delivery.objects.get().download_count == 0


def test_the_right_passcode_opens_the_file(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist, passcode="tulip-42").token
    assert web_client().post(link(token), {"passcode": "tulip-42"}).status_code == 200


def test_an_unknown_token_is_404_and_trailed(trail_watch):
    response = web_client().get(link("not-a-real-token"))
    assert response.status_code == 404
    assert trail_watch.one(action="disclose").outcome == "not_found"


def test_a_new_link_replaces_the_old_one(ready, specialist):
    request, _ = ready
    old = release_link(request, specialist).token
    request.refresh_from_db()
    new = services.delivery_new_link(roi=request, user=specialist).token
    assert web_client().post(link(old)).status_code == 403
    assert web_client().post(link(new)).status_code == 200
    # The same packet to the same recipient: still one disclosure.
    assert Disclosure.objects.filter(request=request).count() == 1


def test_two_downloads_racing_for_the_last_use_cannot_both_win(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist, max_downloads=2).token
    delivery = Delivery.objects.get()
    Delivery.objects.update(download_count=1)
    stale = Delivery.objects.get(pk=delivery.pk)
    stale.download_count = 0  # what a second, slower request read before the first counted
    services.link_download(delivery=Delivery.objects.get(pk=delivery.pk)).close()
    with pytest.raises(services.LinkRefused):
        services.link_download(delivery=stale)
    assert Delivery.objects.get().download_count == 2
    assert token


def test_no_trail_row_ever_holds_the_token(ready, specialist):
    request, _ = ready
    token = release_link(request, specialist).token
    web_client().post(link(token))
    for event in AccessEvent.objects.all():
        assert token not in event.detail and token not in event.reason
