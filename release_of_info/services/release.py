"""Releasing records: the last checks, the delivery, and the secure link.

A release happens only when a second person approved the packet in quality
check, the registered release checks (the authorization verdict, ...) find
nothing, and the packet's bytes still match the SHA-256 recorded when it was
built. It writes one ``Delivery``, marks the packet and the request released,
writes a disclosure row to the trail, and tells ``RELEASED`` handlers (the
accounting of disclosures) in the same transaction.

The secure link's token is shown once: only its SHA-256 is stored, so a copy of
the database does not open any link. Downloads are counted with a conditional
UPDATE, so two clicks at the same moment cannot exceed the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from him import trail
from release_of_info import hooks
from release_of_info.models import Delivery, Packet, ROIRequest
from release_of_info.models.release import (
    DEFAULT_LINK_DAYS,
    DEFAULT_LINK_DOWNLOADS,
    MAX_PASSCODE_ATTEMPTS,
)
from release_of_info.services.packet import packet_verify
from release_of_info.services.status import roi_request_set_status

RELEASE_PERMISSION = "release_of_info.release_roirequest"
MAX_LINK_DAYS = 90
MAX_LINK_DOWNLOADS = 20
MIN_PASSCODE = 6


@dataclass(frozen=True)
class Released:
    delivery: Delivery
    token: str = ""  # the secure link's token: shown once, never stored


class LinkRefused(Exception):
    """A secure-link download that may not happen; ``str()`` is for the recipient."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def approved_packet(roi: ROIRequest) -> Packet | None:
    return roi.packets.filter(status=Packet.Status.APPROVED).order_by("-checked_at").first()


def released_packet(roi: ROIRequest) -> Packet | None:
    return roi.packets.filter(status=Packet.Status.RELEASED).order_by("-released_at").first()


def _recipient(roi: ROIRequest) -> str:
    requester = roi.requester
    address = requester.mailing_address.replace("\n", ", ")
    return f"{requester.name}, {address}" if address else requester.name


def _link_fields(*, link_days: int, max_downloads: int, passcode: str) -> dict:
    errors: dict[str, str] = {}
    if not 1 <= int(link_days) <= MAX_LINK_DAYS:
        errors["link_days"] = f"A link may last from 1 to {MAX_LINK_DAYS} days."
    if not 1 <= int(max_downloads) <= MAX_LINK_DOWNLOADS:
        errors["max_downloads"] = f"Allow from 1 to {MAX_LINK_DOWNLOADS} downloads."
    passcode = (passcode or "").strip()
    if passcode and len(passcode) < MIN_PASSCODE:
        errors["passcode"] = f"A passcode needs at least {MIN_PASSCODE} characters."
    if errors:
        raise ValidationError(errors)
    return {
        "expires_at": timezone.now() + dt.timedelta(days=int(link_days)),
        "max_downloads": int(max_downloads),
        "passcode_hash": make_password(passcode) if passcode else "",
    }


def _mail_fields(roi: ROIRequest, *, mailed_on, carrier: str, tracking_number: str) -> dict:
    if mailed_on is None:
        raise ValidationError({"mailed_on": "Give the date the packet was mailed."})
    if mailed_on > timezone.localdate():
        raise ValidationError({"mailed_on": "The mailing date cannot be in the future."})
    if mailed_on < roi.received_on:
        raise ValidationError(
            {"mailed_on": "The mailing date cannot be before the request was received."}
        )
    if not roi.requester.mailing_address:
        raise ValidationError(
            "The requester has no mailing address; add it to the requester before mailing."
        )
    return {
        "mailed_on": mailed_on,
        "carrier": (carrier or "").strip()[:60],
        "tracking_number": (tracking_number or "").strip()[:60],
    }


def _new_link(**fields) -> tuple[dict, str]:
    token = secrets.token_urlsafe(32)
    return {**fields, "token_sha256": token_digest(token)}, token


@transaction.atomic
def roi_release(
    *,
    roi: ROIRequest,
    user,
    method: str,
    link_days: int = DEFAULT_LINK_DAYS,
    max_downloads: int = DEFAULT_LINK_DOWNLOADS,
    passcode: str = "",
    mailed_on: dt.date | None = None,
    carrier: str = "",
    tracking_number: str = "",
) -> Released:
    """Release ``roi``'s approved packet by secure link or mail."""
    if not user.has_perm(RELEASE_PERMISSION):
        raise PermissionDenied("Your role may not release records.")
    roi = ROIRequest.objects.select_for_update().select_related("requester").get(pk=roi.pk)
    if roi.status != ROIRequest.Status.QUALITY_CHECK:
        raise ValidationError(
            f"Request {roi.number} is {roi.get_status_display().lower()}: only a request whose "
            "packet passed quality check can be released."
        )
    packet = approved_packet(roi)
    if packet is None:
        raise ValidationError(
            "No approved packet: a second person must approve the packet in quality check "
            "before anything is released."
        )
    problems = hooks.collect(hooks.RELEASE_CHECKS, request=roi)
    if problems:
        raise ValidationError([f"Not released: {p}" for p in problems])
    if not packet_verify(packet):
        trail.record(
            trail.Action.DENIED,
            obj=packet,
            outcome=trail.Outcome.FAILURE,
            reason="packet failed its SHA-256 check before release",
        )
        raise ValidationError(
            "The packet file no longer matches the SHA-256 recorded when it was built; "
            "build and check it again before releasing."
        )
    if method not in Delivery.Method.values:
        raise ValidationError({"method": "Choose secure link or mail."})
    token = ""
    if method == Delivery.Method.SECURE_LINK:
        fields, token = _new_link(
            **_link_fields(link_days=link_days, max_downloads=max_downloads, passcode=passcode)
        )
    else:
        fields = _mail_fields(
            roi, mailed_on=mailed_on, carrier=carrier, tracking_number=tracking_number
        )
    delivery = Delivery.objects.create(
        request=roi,
        packet=packet,
        method=method,
        recipient=_recipient(roi)[:300],
        created_by=user,
        **fields,
    )
    now = timezone.now()
    Packet.objects.filter(pk=packet.pk).update(status=Packet.Status.RELEASED, released_at=now)
    packet.refresh_from_db()
    roi = roi_request_set_status(
        roi=roi, status=ROIRequest.Status.RELEASED, user=user, reason="records released"
    )
    trail.record(
        trail.Action.DISCLOSE,
        obj=roi,
        reason=f"released by {delivery.get_method_display().lower()}",
        detail={
            "packet": str(packet.public_id),
            "pages": packet.page_count,
            "sha256": packet.sha256,
            "recipient": delivery.recipient,
            "delivery": str(delivery.public_id),
        },
    )
    hooks.fire(hooks.RELEASED, request=roi, packet=packet, delivery=delivery)
    return Released(delivery=delivery, token=token)


@transaction.atomic
def delivery_new_link(
    *,
    roi: ROIRequest,
    user,
    link_days: int = DEFAULT_LINK_DAYS,
    max_downloads: int = DEFAULT_LINK_DOWNLOADS,
    passcode: str = "",
) -> Released:
    """Another secure link to the packet already released (the first expired or was lost).

    Not a new disclosure: the same packet to the same recipient."""
    if not user.has_perm(RELEASE_PERMISSION):
        raise PermissionDenied("Your role may not release records.")
    roi = ROIRequest.objects.select_for_update().select_related("requester").get(pk=roi.pk)
    packet = released_packet(roi)
    if roi.status != ROIRequest.Status.RELEASED or packet is None:
        raise ValidationError("Only a released request's packet can be sent by a new link.")
    if not packet_verify(packet):
        raise ValidationError(
            "The packet file no longer matches its recorded SHA-256; it cannot be sent again."
        )
    fields, token = _new_link(
        **_link_fields(link_days=link_days, max_downloads=max_downloads, passcode=passcode)
    )
    # Earlier links stop working: one live link per request.
    for old in roi.deliveries.filter(method=Delivery.Method.SECURE_LINK, revoked_at__isnull=True):
        _revoke(old, "replaced by a new link")
    delivery = Delivery.objects.create(
        request=roi,
        packet=packet,
        method=Delivery.Method.SECURE_LINK,
        recipient=_recipient(roi)[:300],
        created_by=user,
        **fields,
    )
    trail.record(
        trail.Action.CREATE,
        obj=delivery,
        reason="new secure link to a released packet",
        detail={"packet": str(packet.public_id)},
    )
    return Released(delivery=delivery, token=token)


def _revoke(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:300]
    )


@transaction.atomic
def delivery_revoke(*, delivery: Delivery, user, reason: str) -> Delivery:
    if not user.has_perm(RELEASE_PERMISSION):
        raise PermissionDenied("Your role may not manage release links.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the link is revoked."})
    if delivery.method != Delivery.Method.SECURE_LINK:
        raise ValidationError("Only a secure link can be revoked.")
    if delivery.revoked_at:
        raise ValidationError("This link was already revoked.")
    _revoke(delivery, reason)
    delivery.refresh_from_db()
    trail.record(trail.Action.UPDATE, obj=delivery, reason=f"link revoked: {reason}")
    return delivery


# The recipient's side (no account: the token is the credential) -----------------------


RECIPIENT = "secure-link recipient"


def link_find(token: str) -> Delivery | None:
    if not token or len(token) > 100:
        return None
    return (
        Delivery.objects.select_related("packet", "request", "request__facility")
        .filter(method=Delivery.Method.SECURE_LINK, token_sha256=token_digest(token))
        .first()
    )


def _refuse(delivery: Delivery, why: str, message: str) -> LinkRefused:
    trail.record(
        trail.Action.DISCLOSE,
        obj=delivery,
        outcome=trail.Outcome.DENIED,
        reason=f"secure link refused: {why}",
        username=RECIPIENT,
    )
    return LinkRefused(message)


LINK_MESSAGES = {
    "revoked": "This link was withdrawn by the sender. Contact them for a new one.",
    "expired": "This link has expired. Contact the sender for a new one.",
    "download limit reached": (
        "This link was already used as many times as allowed. Contact the sender for a new one."
    ),
    "locked after wrong passcodes": (
        "This link is locked after too many wrong passcodes. Contact the sender for a new one."
    ),
}


def link_download(*, delivery: Delivery, passcode: str = ""):
    """Count one download and open the packet file; refuse with a message otherwise."""
    now = timezone.now()
    state = delivery.link_state(now)
    if state:
        raise _refuse(delivery, state, LINK_MESSAGES[state])
    if delivery.has_passcode and not check_password(passcode or "", delivery.passcode_hash):
        Delivery.objects.filter(pk=delivery.pk).update(failed_passcodes=F("failed_passcodes") + 1)
        delivery.refresh_from_db(fields=["failed_passcodes"])
        left = MAX_PASSCODE_ATTEMPTS - delivery.failed_passcodes
        message = (
            f"That passcode is not right. {left} tries left."
            if left > 0
            else LINK_MESSAGES["locked after wrong passcodes"]
        )
        raise _refuse(delivery, "wrong passcode", message)
    if not packet_verify(delivery.packet):
        raise _refuse(
            delivery,
            "packet failed its SHA-256 check",
            "The file failed its integrity check and was not sent. Contact the sender.",
        )
    # Counted only if still within limits at this instant: concurrent clicks cannot overrun.
    counted = Delivery.objects.filter(
        pk=delivery.pk,
        revoked_at__isnull=True,
        expires_at__gt=now,
        download_count__lt=F("max_downloads"),
        failed_passcodes__lt=MAX_PASSCODE_ATTEMPTS,
    ).update(download_count=F("download_count") + 1, last_download_at=now)
    if not counted:
        delivery.refresh_from_db()
        state = delivery.link_state(now) or "download limit reached"
        raise _refuse(
            delivery, state, LINK_MESSAGES.get(state, LINK_MESSAGES["download limit reached"])
        )
    delivery.refresh_from_db()
    trail.record(
        trail.Action.DISCLOSE,
        obj=delivery,
        reason="packet downloaded by secure link",
        detail={"download": delivery.download_count, "of": delivery.max_downloads},
        username=RECIPIENT,
    )
    return delivery.packet.file.open("rb")
