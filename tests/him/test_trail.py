"""The access trail: append-only in the database, tamper-evident by its HMAC chain,
and complete (who, what, when, from where, outcome, reason) on every row."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import orjson
import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from guardian.shortcuts import assign_perm

from him import roles, trail, trail_db
from him.models import AccessEvent, Facility, User

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# Helpers -----------------------------------------------------------------------------


def make_user(username: str, *role_names: str, facility: Facility | None = None) -> User:
    user = User.objects.create_user(username, password="Corr3ct-horse-battery")
    for name in role_names:
        user.groups.add(Group.objects.get(name=name))
    if facility is not None:
        assign_perm("him.access_facility", user, facility)
    return user


def write_events(count: int) -> list[AccessEvent]:
    return [
        trail.record(trail.Action.READ, object_type="test.thing", object_id=str(i), reason=f"r{i}")
        for i in range(count)
    ]


@contextmanager
def triggers_lifted():
    """What a database superuser could do: drop the triggers, tamper, put them back."""
    trail_db.remove(connection)
    try:
        yield connection.cursor()
    finally:
        trail_db.install(connection)


def next_position(last: AccessEvent) -> dict:
    """Where a row appended after ``last`` goes, beyond ``seq`` (the chain's lane, if any)."""
    if hasattr(last, "lane_seq"):
        return {"lane": last.lane, "lane_seq": last.lane_seq + 1}
    return {}


def verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_trail", stdout=out)
    return out.getvalue()


# Append-only --------------------------------------------------------------------------


def _orm_update(event):
    AccessEvent.objects.filter(seq=event.seq).update(reason="rewritten")


def _orm_delete(event):
    AccessEvent.objects.filter(seq=event.seq).delete()


def _instance_save(event):
    event.reason = "rewritten"
    event.save()


def _instance_delete(event):
    event.delete()


def _raw_update(event):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {trail_db.TABLE} SET reason = %s WHERE seq = %s", ["rewritten", event.seq]
        )


def _raw_delete(event):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {trail_db.TABLE} WHERE seq = %s", [event.seq])


def _raw_delete_all(event):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {trail_db.TABLE}")


@pytest.mark.parametrize(
    "change",
    [
        _orm_update,
        _orm_delete,
        _instance_save,
        _instance_delete,
        _raw_update,
        _raw_delete,
        _raw_delete_all,
    ],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_database_refuses_update_and_delete(change):
    events = write_events(3)
    target = events[1]
    before = list(AccessEvent.objects.order_by("seq").values_list("seq", "reason", "mac"))

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(target)

    after = list(AccessEvent.objects.order_by("seq").values_list("seq", "reason", "mac"))
    assert after == before
    assert trail.verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate():
    write_events(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {trail_db.TABLE}")
    assert AccessEvent.objects.count() == 1


def test_inserts_are_allowed_and_chained():
    first, second = write_events(2)
    assert first.prev_mac == trail.GENESIS
    assert second.prev_mac == first.mac
    assert second.seq == first.seq + 1


# Tamper-evident -----------------------------------------------------------------------


def test_intact_trail_verifies_every_row():
    write_events(7)
    total = AccessEvent.objects.count()
    assert total >= 7

    result = trail.verify()
    assert result.ok
    assert result.checked == total
    assert result.problem == "" and result.seq is None

    assert f"{total} rows verified" in verify_command()


def test_empty_trail_verifies():
    # Inserts are allowed; with the triggers lifted (as the suite's flush does) a table
    # can be emptied. An empty chain is intact, just short.
    with triggers_lifted() as cursor:
        cursor.execute(f"DELETE FROM {trail_db.TABLE}")
    assert trail.verify().ok
    assert "0 rows verified" in verify_command()


def test_altered_row_is_named():
    events = write_events(5)
    middle = events[2]
    with triggers_lifted() as cursor:
        cursor.execute(
            f"UPDATE {trail_db.TABLE} SET reason = %s WHERE seq = %s",
            ["nothing to see", middle.seq],
        )

    result = trail.verify()
    assert (result.ok, result.problem, result.seq) == (False, "altered", middle.seq)
    assert result.checked == AccessEvent.objects.filter(seq__lt=middle.seq).count()

    with pytest.raises(CommandError, match=rf"altered\) at seq={middle.seq}\b"):
        verify_command()


def test_altered_mac_is_named():
    # Changing a MAC (to hide an edit) breaks that row and the link to the next.
    events = write_events(4)
    with triggers_lifted() as cursor:
        cursor.execute(
            f"UPDATE {trail_db.TABLE} SET mac = %s WHERE seq = %s", ["f" * 64, events[1].seq]
        )
    result = trail.verify()
    assert (result.problem, result.seq) == ("altered", events[1].seq)


def test_deleted_row_is_named_by_the_row_after_it():
    events = write_events(5)
    gone, after = events[2], events[3]
    with triggers_lifted() as cursor:
        cursor.execute(f"DELETE FROM {trail_db.TABLE} WHERE seq = %s", [gone.seq])

    result = trail.verify()
    assert (result.ok, result.problem, result.seq) == (False, "missing", after.seq)
    assert "missing" in result.message

    with pytest.raises(CommandError, match=rf"missing\) at seq={after.seq}\b"):
        verify_command()


def test_reordered_rows_are_named():
    events = write_events(5)
    a, b = events[1], events[2]
    # seq is the primary key: swap two rows' places through a temporary seq.
    with triggers_lifted() as cursor:
        table = trail_db.TABLE
        cursor.execute(f"UPDATE {table} SET seq = %s WHERE seq = %s", [-1, a.seq])
        cursor.execute(f"UPDATE {table} SET seq = %s WHERE seq = %s", [a.seq, b.seq])
        cursor.execute(f"UPDATE {table} SET seq = %s WHERE seq = %s", [b.seq, -1])

    result = trail.verify()
    assert (result.ok, result.problem, result.seq) == (False, "reordered", a.seq)
    assert f"seq={b.seq}" in result.message

    with pytest.raises(CommandError, match=rf"reordered\) at seq={a.seq}\b"):
        verify_command()


@pytest.mark.skipif(
    not hasattr(AccessEvent, "lane_seq"), reason="the chain has no per-lane position"
)
def test_rows_swapped_within_their_lane_are_named():
    events = write_events(5)
    a, b = events[1], events[2]
    assert a.lane == b.lane
    with triggers_lifted() as cursor:
        table = trail_db.TABLE
        cursor.execute(f"UPDATE {table} SET lane_seq = %s WHERE seq = %s", [-1, a.seq])
        cursor.execute(f"UPDATE {table} SET lane_seq = %s WHERE seq = %s", [a.lane_seq, b.seq])
        cursor.execute(f"UPDATE {table} SET lane_seq = %s WHERE seq = %s", [b.lane_seq, a.seq])

    result = trail.verify()
    assert (result.ok, result.problem) == (False, "reordered")
    assert result.seq in (a.seq, b.seq)
    with pytest.raises(CommandError, match=rf"reordered\) at seq={result.seq}\b"):
        verify_command()


def test_row_forged_with_another_key_is_caught():
    # Someone with database access but not the key appends a plausible row.
    events = write_events(3)
    last = events[-1]
    values = {
        "at": last.at + dt.timedelta(seconds=1),
        "user_id": None,
        "username": "nobody",
        "role": "",
        "action": "read",
        "object_type": "test.thing",
        "object_id": "99",
        "patient_id": None,
        "facility_id": None,
        "ip": "",
        "user_agent": "",
        "request_id": "",
        "outcome": "success",
        "reason": "",
        "detail": "",
    }
    forged_mac = trail.compute_mac(values, last.mac, key=b"not-the-trail-key")
    assert forged_mac != trail.compute_mac(values, last.mac)
    # An INSERT needs no trigger lifted: the trigger only refuses UPDATE and DELETE.
    AccessEvent(
        seq=last.seq + 1, prev_mac=last.mac, mac=forged_mac, **values, **next_position(last)
    ).save(force_insert=True)

    result = trail.verify()
    assert (result.problem, result.seq) == ("altered", last.seq + 1)
    with pytest.raises(CommandError, match=rf"seq={last.seq + 1}\b"):
        verify_command()


def test_rewritten_row_with_another_key_is_caught():
    # Rewriting a row and re-signing it (and the rest of the chain) without the key
    # is caught at the first rewritten row.
    events = write_events(4)
    target = events[1]
    rows = list(AccessEvent.objects.filter(seq__gte=target.seq).order_by("seq"))
    fields = list(trail._CONTENT_FIELDS)
    prev = events[0].mac
    with triggers_lifted() as cursor:
        for row in rows:
            values = {name: getattr(row, name) for name in fields}
            if row.seq == target.seq:
                values["reason"] = "rewritten"
            mac = trail.compute_mac(values, prev, key=b"guessed-key")
            cursor.execute(
                f"UPDATE {trail_db.TABLE} SET reason = %s, prev_mac = %s, mac = %s WHERE seq = %s",
                [values["reason"], prev, mac, row.seq],
            )
            prev = mac
    result = trail.verify()
    assert (result.problem, result.seq) == ("altered", target.seq)


def test_verify_after_tampering_is_fixed_again():
    # Verification reads the table as it is now: put the row back and it verifies.
    events = write_events(3)
    original = events[1].reason
    with triggers_lifted() as cursor:
        cursor.execute(f"UPDATE {trail_db.TABLE} SET reason = 'x' WHERE seq = %s", [events[1].seq])
    assert not trail.verify().ok
    with triggers_lifted() as cursor:
        cursor.execute(
            f"UPDATE {trail_db.TABLE} SET reason = %s WHERE seq = %s", [original, events[1].seq]
        )
    assert trail.verify().ok


def test_triggers_are_back_after_lifting():
    events = write_events(1)
    with triggers_lifted():
        pass
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessEvent.objects.filter(seq=events[0].seq).delete()


# What each row carries ----------------------------------------------------------------


@pytest.fixture
def facility():
    return Facility.objects.create(code="MAIN", name="Main Hospital")


def test_row_from_a_request_carries_who_what_when_where(client, facility):
    from records.models import Patient

    tech = make_user("tina", roles.HIM_TECHNICIAN, facility=facility)
    patient = Patient.objects.create(
        facility=facility,
        mrn="MRN-1",
        family_name="Doe",
        given_name="Jane",
        birth_date=dt.date(1980, 5, 1),
    )
    client.force_login(tech, backend=MODEL_BACKEND)
    last_seq = AccessEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    response = client.get(
        f"/records/patients/{patient.enterprise_id}/",
        HTTP_USER_AGENT="Mozilla/5.0 (HIM test)",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert request_id

    event = AccessEvent.objects.filter(
        seq__gt=last_seq, action="read", object_type="records.patient"
    ).get()
    assert event.at.utcoffset() == dt.timedelta(0)
    assert abs(event.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert event.user_id == tech.pk
    assert event.username == "tina"
    assert event.role == roles.HIM_TECHNICIAN
    assert event.object_type == "records.patient"
    assert event.object_id == patient.enterprise_id
    assert event.patient_id == patient.pk
    assert event.facility_id == facility.pk
    assert event.ip == "10.1.2.3"
    assert event.user_agent == "Mozilla/5.0 (HIM test)"
    assert event.request_id == request_id
    assert event.outcome == AccessEvent.Outcome.SUCCESS
    assert trail.verify().ok


def test_denial_row_carries_outcome_and_reason(client, facility):
    tech = make_user("tom", roles.HIM_TECHNICIAN, facility=facility)
    client.force_login(tech, backend=MODEL_BACKEND)

    response = client.get("/trail/", HTTP_USER_AGENT="pytest")
    assert response.status_code == 403

    event = AccessEvent.objects.filter(action="denied").latest("seq")
    assert event.username == "tom"
    assert event.role == roles.HIM_TECHNICIAN
    assert event.outcome == AccessEvent.Outcome.DENIED
    assert "him.view_accessevent" in event.reason
    assert event.object_type == "him.accessevent"
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "pytest"


def test_usernames_are_copies_that_outlive_the_user(facility):
    user = make_user("gone", roles.HIM_TECHNICIAN)
    trail.record(trail.Action.READ, user=user, object_type="test.thing", object_id="1")
    user_id = user.pk
    user.delete()
    event = AccessEvent.objects.filter(action="read").latest("seq")
    assert (event.user_id, event.username) == (user_id, "gone")
    assert trail.verify().ok


def test_mac_covers_content_with_utc_timestamp():
    event = write_events(1)[0]
    body = trail.canonical(
        {name: getattr(event, name) for name in trail._CONTENT_FIELDS}, event.prev_mac
    )
    assert event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode() in body
    assert (
        trail.compute_mac(
            {name: getattr(event, name) for name in trail._CONTENT_FIELDS}, event.prev_mac
        )
        == event.mac
    )


def test_search_row_keeps_every_value_of_a_repeated_filter(client, facility):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = make_user("olivia", roles.PRIVACY_OFFICER, facility=facility)
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client.force_login(officer, backend=MODEL_BACKEND)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    response = client.get("/trail/?action=read&action=disclose&user=")
    assert response.status_code == 200
    search = AccessEvent.objects.filter(action="search").latest("seq")
    assert search.username == "olivia"
    assert orjson.loads(search.detail)["criteria"] == {"action": ["read", "disclose"]}


@pytest.mark.django_db
def test_trail_csv_export_never_hands_a_spreadsheet_a_formula(client):
    """Usernames typed at a failed sign-in land in the trail verbatim; the CSV
    export must not let a spreadsheet run them."""
    from django.contrib.auth.models import Group

    trail.record(trail.Action.LOGIN_FAILED, username='=HYPERLINK("http://x")', outcome="failure")
    officer = User.objects.create_user("po-csv", password=None)
    officer.groups.add(Group.objects.get(name="Privacy officer"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=officer, name="t", confirmed=True)
    client.force_login(officer)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.get("/trail/export.csv?action=login_failed")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body
