"""The chain's write path: lanes, the cached head, conflicts, rollbacks."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from him import trail
from him.models import AccessEvent


def _append(n: int = 1, **kwargs) -> list[AccessEvent]:
    return [
        trail.record(trail.Action.READ, object_type="test.thing", object_id=str(i), **kwargs)
        for i in range(n)
    ]


@pytest.mark.django_db
def test_rows_in_a_lane_link_to_each_other():
    first, second = _append(2)
    assert first.lane == second.lane == trail.current_lane()
    assert second.lane_seq == first.lane_seq + 1
    assert second.prev_mac == first.mac
    assert trail.verify().ok


@pytest.mark.django_db
def test_rows_in_other_lanes_are_separate_chains(settings):
    _append(2)
    settings.TRAIL_LANES = 1000  # pid % 1000 differs from pid % 16 for most pids
    lanes_before = set(AccessEvent.objects.values_list("lane", flat=True))
    _append(2)
    assert trail.verify().ok
    assert AccessEvent.objects.count() == 4
    assert lanes_before  # each lane verified on its own


@pytest.mark.django_db(transaction=True)
def test_a_stale_cached_head_is_refused_and_retried():
    """Another writer took the next place in the lane: the insert conflicts and
    is retried on the real head, so the chain stays whole."""
    _append(1)  # autocommit: this thread now caches the head
    lane = trail.current_lane()
    cached = trail._cached_head(lane)
    assert cached is not None
    # Another process (same lane) appends behind our back.
    values = _values()
    other = AccessEvent(
        lane=lane,
        lane_seq=cached[0] + 1,
        prev_mac=cached[1],
        mac=trail.compute_mac(values, cached[1]),
        **values,
    )
    other.save(force_insert=True)
    event = trail.record(trail.Action.READ, object_type="test.thing", object_id="after")
    assert event.lane_seq == cached[0] + 2
    assert event.prev_mac == other.mac
    assert trail.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_row_is_never_chained_to():
    before = AccessEvent.objects.count()  # roles restored after a flush are trailed too
    _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _append(1)
        raise RuntimeError("the write this row belonged to failed")
    _append(1)
    result = trail.verify()
    assert result.ok, result.message
    assert result.checked == before + 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_every_chain_intact():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a server database (SQLite serializes writers)")
    before = AccessEvent.objects.count()
    errors: list[BaseException] = []

    def writer():
        try:
            for i in range(25):
                trail.record(trail.Action.READ, object_type="test.thing", object_id=str(i))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = trail.verify()
    assert result.ok, result.message
    assert result.checked == before + 150


def _values() -> dict:
    from django.utils import timezone

    return {
        "at": timezone.now(),
        "user_id": None,
        "username": "elsewhere",
        "role": "",
        "action": "read",
        "object_type": "test.thing",
        "object_id": "x",
        "patient_id": None,
        "facility_id": None,
        "ip": "",
        "user_agent": "",
        "request_id": "",
        "outcome": "success",
        "reason": "",
        "detail": "",
    }
