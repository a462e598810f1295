"""Writing and verifying the access trail.

The chain: each AccessEvent's MAC is HMAC-SHA256(TRAIL_KEY, canonical content
plus the previous row's MAC in its lane). Each process writes to its own lane
(process id modulo TRAIL_LANES), and an append is normally a single INSERT that
the unique (lane, lane_seq) constraint orders (see ``_append``): no lock is held
across a request, and workers do not queue behind one another. A first design
with one global lock let a worker preempted while holding it stall all others
(measured in bench/trail.py).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from him import context
from him.models import AccessEvent

Action = AccessEvent.Action
Outcome = AccessEvent.Outcome

GENESIS = "0" * 64
# Any fixed number: the advisory lock that orders appends to the chain.
_CHAIN_LOCK_ID = 0x48494D54  # "HIMT"; int4, with the lane as second key

_CONTENT_FIELDS = (
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "facility_id",
    "ip",
    "user_agent",
    "request_id",
    "outcome",
    "reason",
    "detail",
)


# The columns a person sees in exports and the API, in order.
EXPORT_FIELDS = ("seq", *_CONTENT_FIELDS)


def _format_at(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: dict, prev_mac: str) -> bytes:
    """The exact bytes the MAC covers; stable across databases and versions."""
    payload = {name: values.get(name) for name in _CONTENT_FIELDS}
    payload["at"] = _format_at(payload["at"])
    for name in ("user_id", "patient_id", "facility_id"):
        if payload[name] is not None:
            payload[name] = int(payload[name])
    for name in _CONTENT_FIELDS:
        if payload[name] is None and name not in (
            "user_id",
            "patient_id",
            "facility_id",
        ):
            payload[name] = ""
    payload["prev"] = prev_mac
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def compute_mac(values: dict, prev_mac: str, key: bytes | None = None) -> str:
    key = key if key is not None else settings.TRAIL_KEY.encode()
    return hmac.new(key, canonical(values, prev_mac), hashlib.sha256).hexdigest()


def object_label(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = obj._meta
    public = getattr(obj, "public_ref", None)
    return f"{meta.app_label}.{meta.model_name}", str(public if public is not None else obj.pk)


def current_lane() -> int:
    return os.getpid() % max(1, settings.TRAIL_LANES)


class _Heads(threading.local):
    """Per thread: the last (position, mac) this thread saw committed in a lane.

    ``generation`` lets ``forget_heads`` (after a table flush) invalidate the
    caches of every thread at once.
    """

    def __init__(self) -> None:
        self.heads: dict[int, tuple[int, str]] = {}
        self.generation = 0


_heads = _Heads()
_generation = 0
_OPTIMISTIC_TRIES = 4
_MAX_TRIES = 100


def forget_heads(**kwargs) -> None:
    global _generation
    _generation += 1


def _cached_head(lane: int) -> tuple[int, str] | None:
    if _heads.generation != _generation:
        _heads.heads = {}
        _heads.generation = _generation
    return _heads.heads.get(lane)


def _remember_head(lane: int, position: int, mac: str, generation: int) -> None:
    if generation == _generation and _heads.generation == generation:
        _heads.heads[lane] = (position, mac)


def _load_head(lane: int) -> tuple[int, str]:
    last = (
        AccessEvent.objects.filter(lane=lane)
        .order_by("-lane_seq")
        .values_list("lane_seq", "mac")
        .first()
    )
    return (last[0], last[1]) if last else (0, GENESIS)


def _lock_lane(lane: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CHAIN_LOCK_ID, lane])
    # SQLite: the transaction began IMMEDIATE (settings), so it holds the write lock.


def _build(values: dict, lane: int, head: tuple[int, str]) -> AccessEvent:
    position, prev = head[0] + 1, head[1]
    return AccessEvent(
        lane=lane, lane_seq=position, prev_mac=prev, mac=compute_mac(values, prev), **values
    )


def _append(values: dict) -> AccessEvent:
    """Append to this process's lane.

    The usual path is one INSERT: the thread remembers its lane's head, and the
    unique (lane, lane_seq) constraint refuses the row if another writer took
    that place first; then the head is read again and the insert retried. The
    head is remembered only once the row is committed, so a row rolled back
    with its transaction is never chained to. After repeated conflicts (many
    threads of one process) the lane is also locked, so they take turns.
    """
    lane = current_lane()
    generation = _generation
    for attempt in range(_MAX_TRIES):
        locked = attempt >= _OPTIMISTIC_TRIES
        try:
            if locked or connection.in_atomic_block:
                # A transaction (or a savepoint inside the caller's): a conflict spoils nothing.
                with transaction.atomic():
                    if locked:
                        _lock_lane(lane)
                    head = _load_head(lane) if locked else _cached_head(lane) or _load_head(lane)
                    event = _build(values, lane, head)
                    event.save(force_insert=True)
            else:
                event = _build(values, lane, _cached_head(lane) or _load_head(lane))
                event.save(force_insert=True)  # autocommit: one round trip
        except IntegrityError:
            _heads.heads.pop(lane, None)
            continue
        _after_commit(lane, event, generation)
        return event
    raise RuntimeError(f"could not append to access trail lane {lane} after {_MAX_TRIES} tries")


def _after_commit(lane: int, event: AccessEvent, generation: int) -> None:
    def remember():
        _remember_head(lane, event.lane_seq, event.mac, generation)

    if connection.in_atomic_block:
        transaction.on_commit(remember)
    else:
        remember()


_annotators: list = []


def register_annotator(annotator) -> None:
    """``annotator(obj, user_id) -> dict | None``: extra detail for events on ``obj``.

    Lets an app mark events, e.g. reads made under break-the-glass, without the
    views that read knowing about it.
    """
    if annotator not in _annotators:
        _annotators.append(annotator)


def record(
    action: str,
    *,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    patient_id: int | None = None,
    facility_id: int | None = None,
    outcome: str = Outcome.SUCCESS,
    reason: str = "",
    detail: dict | None = None,
    user=None,
    username: str = "",
) -> AccessEvent | None:
    """Append one event to the trail, attributed from the request context.

    ``user``/``username`` override the context (sign-in events happen before
    the request has a user). Patient and facility are taken from ``obj`` via
    the access policy's paths when not given.
    """
    if not settings.TRAIL_ENABLED:
        return None
    from him import policy

    ctx = context.current()
    if obj is not None:
        otype, oid = object_label(obj)
        object_type = object_type or otype
        object_id = object_id or oid
        if patient_id is None:
            patient_id = policy.patient_id_of(obj)
        if facility_id is None:
            facility_id = policy.facility_id_of(obj)
    if user is not None and getattr(user, "is_authenticated", False):
        user_id, name, role = (
            user.pk,
            user.get_username(),
            getattr(user, "role_label", ""),
        )
    elif username:
        user_id, name, role = None, username, ""
    else:
        user_id, name, role = ctx.user_id, ctx.username, ctx.role
    if obj is not None and _annotators:
        for annotator in _annotators:
            extra = annotator(obj, user_id)
            if extra:
                detail = {**(detail or {}), **extra}
    values = {
        "at": timezone.now(),
        "user_id": user_id,
        "username": name[:150],
        "role": role[:300],
        "action": str(action),
        "object_type": object_type[:100],
        "object_id": str(object_id)[:64],
        "patient_id": patient_id,
        "facility_id": facility_id,
        "ip": ctx.ip[:45],
        "user_agent": ctx.user_agent[:400],
        "request_id": ctx.request_id,
        "outcome": str(outcome),
        "reason": reason or "",
        "detail": orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode() if detail else "",
    }
    return _append(values)


# Verification ------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""  # altered, missing, reordered
    seq: int | None = None
    message: str = ""


_VERIFY_FIELDS = ("seq", "lane", "lane_seq", *_CONTENT_FIELDS, "prev_mac", "mac")


def _rows(chunk_size: int) -> Iterator[tuple]:
    qs = AccessEvent.objects.order_by("lane", "lane_seq").values_list(*_VERIFY_FIELDS)
    return qs.iterator(chunk_size=chunk_size)


def verify(rows: Iterable[tuple] | None = None, *, chunk_size: int = 5000) -> VerifyResult:
    """Walk each lane's chain in order and name the first row that breaks it.

    - altered: the row's MAC does not match its own content (content, prev_mac
      or mac was changed);
    - reordered: the row is intact but the row it follows sits elsewhere, or
      its global ``seq`` runs backwards within its lane;
    - missing: the row is intact but the row it follows is gone.
    Lanes are walked one after another; the first break found is reported.
    """
    key = settings.TRAIL_KEY.encode()
    digest = hashlib.sha256
    names = _CONTENT_FIELDS
    width = len(names)
    lane = None
    prev = GENESIS
    prev_seq = 0
    checked = 0
    for row in rows if rows is not None else _rows(chunk_size):
        seq, row_lane = row[0], row[1]
        if row_lane != lane:
            lane, prev, prev_seq = row_lane, GENESIS, 0
        values = dict(zip(names, row[3 : 3 + width], strict=True))
        prev_mac, mac = row[-2], row[-1]
        expected = hmac.new(key, canonical(values, prev_mac), digest).hexdigest()
        if not hmac.compare_digest(expected, mac):
            return VerifyResult(
                False,
                checked,
                "altered",
                seq,
                f"Row seq={seq} was altered: its MAC does not match its content.",
            )
        if prev_mac != prev:
            elsewhere = (
                AccessEvent.objects.filter(mac=prev_mac).values_list("seq", flat=True).first()
            )
            if elsewhere is not None:
                return VerifyResult(
                    False,
                    checked,
                    "reordered",
                    seq,
                    f"Row seq={seq} is out of order: it was written after row seq={elsewhere}.",
                )
            return VerifyResult(
                False,
                checked,
                "missing",
                seq,
                f"Row(s) missing before seq={seq}: the row it was chained to is gone.",
            )
        if seq <= prev_seq:
            return VerifyResult(
                False,
                checked,
                "reordered",
                seq,
                f"Row seq={seq} is out of order: it was written after row seq={prev_seq}.",
            )
        prev = mac
        prev_seq = seq
        checked += 1
    return VerifyResult(True, checked, message=f"Trail intact: {checked} rows verified.")
