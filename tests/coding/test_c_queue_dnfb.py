"""The DNFB work queue: what it lists, filters, assignment, next chart, productivity."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import orjson
import pytest
from c_queue_support import chart, coder, coding_of, finalize
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coding.models import EncounterCoding
from coding.services import queue as services
from him import context, reports, roles
from him.testing.mixins import error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import Deficiency, Encounter

API = "/api/v1/coding/queue/"
Pending = EncounterCoding.Pending


@pytest.fixture
def coder_a(personas):
    return coder("coder_a", personas.facility)


@pytest.fixture
def manager(personas):
    return personas.privileged(roles.HIM_MANAGER)


def as_verified(user):
    """Acting as ``user`` with a verified second factor, outside a request."""
    return context.use(context.RequestContext(user_id=user.pk, otp_verified=True))


def numbers(rows) -> list[str]:
    return [e.number for e in rows]


# What the queue lists -------------------------------------------------------------------------


def test_lists_discharged_not_final_in_scope_only(personas, coder_a):
    waiting = chart(personas.facility, days_ago=5)
    drafted = chart(personas.facility, days_ago=2)
    coding_of(drafted, status=EncounterCoding.Status.DRAFT)
    final = chart(personas.facility, days_ago=4)
    finalize(coding_of(final), coder_a)
    chart(personas.facility, days_ago=None)  # still admitted
    cancelled = chart(personas.facility, days_ago=3)
    Encounter.objects.filter(pk=cancelled.pk).update(status=Encounter.Status.CANCELLED)
    chart(personas.other_facility, days_ago=9)  # out of scope

    shown = list(services.dnfb(coder_a).order_by("discharge_at"))

    assert numbers(shown) == [waiting.number, drafted.number]
    assert shown[0].coding_status == "not_started" and shown[0].coding_public_id is None
    assert not EncounterCoding.objects.filter(encounter=waiting).exists()  # listing writes nothing


def test_days_since_discharge_and_expected_weight(personas, coder_a):
    enc = chart(personas.facility, days_ago=6)
    coding_of(enc, working_drg="291", working_weight=Decimal("1.3377"))
    (row,) = services.dnfb(coder_a)
    assert services.days_since(row.discharge_at) == 6
    assert (row.working_drg, row.expected_weight) == ("291", Decimal("1.3377"))


def test_pending_reason_comes_from_the_coding_then_an_open_deficiency(personas, coder_a):
    documentation = chart(personas.facility)
    coding_of(documentation, pending_reason=Pending.DOCUMENTATION)
    deficient = chart(personas.facility)
    Deficiency.objects.create(
        encounter=deficient,
        kind=Deficiency.Kind.MISSING_DOCUMENT,
        doc_type="discharge",
        due_at=timezone.now(),
    )
    clear = chart(personas.facility)
    pending = {e.number: e.pending for e in services.dnfb(coder_a)}
    assert pending == {
        documentation.number: Pending.DOCUMENTATION,
        deficient.number: Pending.DEFICIENCY,
        clear.number: "",
    }


def test_page_shows_rows_filters_and_trails_what_was_listed(personas, coder_a, trail_watch):
    old = chart(personas.facility, days_ago=20, inpatient=False)
    new = chart(personas.facility, days_ago=1)
    outside = chart(personas.other_facility, days_ago=1)
    client = web_client(coder_a)

    response = client.get("/coding/queue/")
    assert response.status_code == 200
    assert numbers(response.context["rows"]) == [old.number, new.number]
    assert [r.days for r in response.context["rows"]] == [20, 1]
    assert outside.number not in response.content.decode()
    row = trail_watch.one(action=Action.READ, object_type="coding.encountercoding")
    assert orjson.loads(row.detail)["shown"] == [old.public_ref, new.public_ref]

    trail_watch.mark()
    response = client.get("/coding/queue/", {"age": "15-30", "encounter_class": "outpatient"})
    assert numbers(response.context["rows"]) == [old.number]
    row = trail_watch.one(action=Action.SEARCH, object_type="coding.encountercoding")
    assert orjson.loads(row.detail)["criteria"] == {"age": "15-30", "encounter_class": "outpatient"}

    response = client.get("/coding/queue/", {"sort": "newest"})
    assert numbers(response.context["rows"]) == [new.number, old.number]
    response = client.get("/coding/queue/", {"age": "not-a-bucket"})
    assert response.status_code == 200 and response.context["rows"] == []
    assert response.context["filterset"].form.errors


def test_filters_coder_unassigned_pending_facility(personas, coder_a):
    mine = chart(personas.facility)
    coding_of(mine, assigned_coder=coder_a)
    free = chart(personas.facility)
    waiting = chart(personas.facility)
    coding_of(waiting, pending_reason=Pending.DOCUMENTATION)
    client = web_client(coder_a)

    def shown(**params):
        return numbers(client.get("/coding/queue/", params).context["rows"])

    assert shown(coder="coder_a") == [mine.number]
    assert shown(unassigned="on") == [free.number, waiting.number]
    assert shown(pending="documentation") == [waiting.number]
    assert shown(pending="none") == [mine.number, free.number]
    assert shown(facility=personas.other_facility.code) == []


def test_dashboard_tile_counts_the_queue(personas, coder_a):
    from him import dashboard

    chart(personas.facility, days_ago=10)
    chart(personas.facility, days_ago=1)
    (tile,) = [t for t in dashboard.tiles_for(coder_a) if t["key"] == "coding-dnfb"]
    assert (tile["value"], tile["status"]) == (2, "alert")
    assert "1 discharged more than 7 days ago" in tile["detail"]


def test_roles_without_coding_view_get_403(personas, trail_watch):
    response = web_client(personas.writer).get("/coding/queue/")  # HIM technician
    assert response.status_code == 403
    trail_watch.one(action=Action.DENIED, object_type="coding.encountercoding")


# Assignment --------------------------------------------------------------------------------------


def test_manager_assigns_and_unassigns_many(personas, manager, coder_a, trail_watch):
    a, b = chart(personas.facility), chart(personas.facility)
    coder("coder_elsewhere", personas.other_facility)
    client = web_client(manager)
    page = client.get("/coding/queue/")
    assert [u.username for u in page.context["coders"]] == ["coder_a"]
    assert "Assign ticked charts" in page.content.decode()
    response = client.post(
        "/coding/queue/assign/",
        {"encounters": [a.public_id, b.public_id], "coder": "coder_a", "action": "assign"},
    )
    assert response.status_code == 302
    assert set(
        EncounterCoding.objects.filter(assigned_coder=coder_a).values_list("encounter", flat=True)
    ) == {a.pk, b.pk}
    assert len(trail_watch.rows(action=Action.UPDATE, object_type="coding.encountercoding")) == 2

    client.post("/coding/queue/assign/", {"encounters": [a.public_id], "action": "unassign"})
    assert EncounterCoding.objects.get(encounter=a).assigned_coder is None
    assert EncounterCoding.objects.get(encounter=b).assigned_coder == coder_a
    assert EncounterCoding.objects.get(encounter=a).history.first().history_change_reason == (
        "unassigned"
    )


def test_coder_cannot_assign(personas, coder_a, trail_watch):
    enc = chart(personas.facility)
    response = web_client(coder_a).post(
        "/coding/queue/assign/", {"encounters": [enc.public_id], "coder": "coder_a"}
    )
    assert response.status_code == 403
    trail_watch.one(action=Action.DENIED, outcome=Outcome.DENIED)
    assert not EncounterCoding.objects.filter(encounter=enc).exists()
    with pytest.raises(PermissionDenied):
        services.queue_assign(encounters=[enc], coder=coder_a, user=coder_a)


def test_assignee_must_code_at_the_facility(personas, manager):
    enc = chart(personas.facility)
    elsewhere = coder("coder_elsewhere", personas.other_facility)
    with pytest.raises(ValidationError) as exc:
        services.queue_assign(encounters=[enc], coder=elsewhere, user=manager)
    assert "cannot code visit" in str(exc.value)
    auditor = personas.reader
    with pytest.raises(ValidationError):
        services.queue_assign(encounters=[enc], coder=auditor, user=manager)
    assert not EncounterCoding.objects.filter(encounter=enc, assigned_coder__isnull=False).exists()


def test_assigning_a_chart_out_of_reach_changes_nothing(personas, manager, coder_a):
    inside, outside = chart(personas.facility), chart(personas.other_facility)
    response = web_client(manager).post(
        "/coding/queue/assign/",
        {"encounters": [inside.public_id, outside.public_id], "coder": "coder_a"},
        follow=True,
    )
    assert "no longer in the queue" in response.content.decode()
    assert not EncounterCoding.objects.filter(assigned_coder=coder_a).exists()


# Next chart ------------------------------------------------------------------------------------


def test_next_chart_claims_the_oldest_unassigned_unpended(personas, coder_a):
    taken = chart(personas.facility, days_ago=30)
    coding_of(taken, assigned_coder=coder("other_coder", personas.facility))
    pended = chart(personas.facility, days_ago=20)
    coding_of(pended, pending_reason=Pending.DOCUMENTATION)
    oldest_free = chart(personas.facility, days_ago=10)
    chart(personas.facility, days_ago=2)
    chart(personas.other_facility, days_ago=40)

    coding = services.queue_next_chart(user=coder_a)

    assert coding.encounter == oldest_free
    assert coding.assigned_coder == coder_a
    assert coding.history.first().history_change_reason == "claimed with next chart"


def test_two_coders_never_get_the_same_chart(personas, coder_a, monkeypatch):
    first = chart(personas.facility, days_ago=9)
    second = chart(personas.facility, days_ago=5)
    coder_b = coder("coder_b", personas.facility)
    # Both coders read the candidates before either claims: the stale list is the race.
    stale = services.next_chart_candidates(coder_a)
    monkeypatch.setattr(services, "next_chart_candidates", lambda user: list(stale))

    got_a = services.queue_next_chart(user=coder_a)
    got_b = services.queue_next_chart(user=coder_b)

    assert got_a.encounter == first
    assert got_b.encounter == second
    assert EncounterCoding.objects.get(encounter=first).assigned_coder == coder_a
    # The conditional UPDATE itself: a second claim of the same row gets nothing.
    assert services._claim(got_a.pk, coder_b) is False


def test_next_chart_with_nothing_left(personas, coder_a):
    assert services.queue_next_chart(user=coder_a) is None
    response = web_client(coder_a).post("/coding/queue/next/", follow=True)
    assert "No unassigned chart" in response.content.decode()


def test_next_chart_page_redirects_to_the_workspace_or_queue(personas, coder_a):
    enc = chart(personas.facility)
    response = web_client(coder_a).post("/coding/queue/next/")
    assert response.status_code == 302
    coding = EncounterCoding.objects.get(encounter=enc)
    assert coding.assigned_coder == coder_a
    assert str(coding.public_id) in response["Location"] or response["Location"] == "/coding/queue/"


def test_manager_cannot_take_charts(personas, manager):
    chart(personas.facility)
    assert web_client(manager).post("/coding/queue/next/").status_code == 403


def test_read_only_roles_do_not_start_charts(personas):
    enc = chart(personas.facility)
    response = web_client(personas.reader).get(f"/coding/queue/{enc.public_id}/open/")
    assert response.status_code == 302 and response["Location"] == "/coding/queue/"
    assert not EncounterCoding.objects.filter(encounter=enc).exists()


def test_pending_page_sets_awaiting_documentation(personas, coder_a, trail_watch):
    enc = chart(personas.facility)
    client = web_client(coder_a)
    assert client.get(f"/coding/queue/{enc.public_id}/pending/").status_code == 200
    response = client.post(f"/coding/queue/{enc.public_id}/pending/", {"reason": "documentation"})
    assert response.status_code == 302
    assert EncounterCoding.objects.get(encounter=enc).pending_reason == Pending.DOCUMENTATION
    response = client.post(f"/coding/queue/{enc.public_id}/pending/", {"reason": "query"})
    assert response.status_code == 200  # not a choice: the form says so, nothing changes
    other = chart(personas.other_facility)
    assert client.get(f"/coding/queue/{other.public_id}/pending/").status_code == 404


# Productivity ----------------------------------------------------------------------------------


def test_productivity_counts_per_day_class_and_coder(personas, coder_a, manager):
    coder_b = coder("coder_b", personas.facility)
    today = timezone.localdate()
    for user, inpatient in ((coder_a, True), (coder_a, True), (coder_a, False), (coder_b, True)):
        finalize(coding_of(chart(personas.facility, inpatient=inpatient)), user)
    yesterday = finalize(coding_of(chart(personas.facility)), coder_b)
    EncounterCoding.objects.filter(pk=yesterday.pk).update(
        finalized_at=timezone.now() - dt.timedelta(days=1)
    )
    finalize(coding_of(chart(personas.other_facility)), coder_a)  # out of the manager's reach

    with as_verified(manager):
        classes, rows = services.productivity(manager, today - dt.timedelta(days=1), today)
        _, only_b = services.productivity(manager, today, today, coder="coder_b")

    assert classes == ["inpatient", "outpatient"]
    got = {(r.day, r.coder): (r.counts, r.total) for r in rows}
    assert got == {
        (today - dt.timedelta(days=1), "coder_b"): ({"inpatient": 1}, 1),
        (today, "coder_a"): ({"inpatient": 2, "outpatient": 1}, 3),
        (today, "coder_b"): ({"inpatient": 1}, 1),
    }
    assert [r.total for r in only_b] == [1]

    response = web_client(manager).get("/coding/productivity/")
    assert response.status_code == 200
    assert response.context["grand_total"] == 5
    bad = web_client(manager).get(
        "/coding/productivity/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert bad.status_code == 200 and bad.context["form"].errors
    assert web_client(coder_a).get("/coding/productivity/").status_code == 403


def test_reports_are_registered_and_read_through_the_policy(personas, manager):
    enc = chart(personas.facility)
    chart(personas.other_facility)
    report = reports.get("coding-dnfb")
    with as_verified(manager):
        assert report.available_to(manager)
        table = report.generate(run=None, user=manager, params={}, progress=lambda p: None)
        assert reports.get("coding-productivity").available_to(manager)
    assert [row[1] for row in table.rows] == [enc.number]
    assert not report.available_to(coder("coder_r", personas.facility))


# API ----------------------------------------------------------------------------------------------


def test_api_lists_with_filters_and_trails(personas, coder_a, trail_watch):
    a = chart(personas.facility, days_ago=4)
    b = chart(personas.facility, days_ago=1, inpatient=False)
    chart(personas.other_facility)
    client = api_client(coder_a)

    response = client.get(API)
    assert response.status_code == 200
    rows = results(response)
    assert [r["number"] for r in rows] == [a.number, b.number]
    assert rows[0]["days_since_discharge"] == 4 and rows[0]["coding"] is None
    assert orjson.loads(trail_watch.one(action=Action.READ).detail)["shown"] == [
        a.public_ref,
        b.public_ref,
    ]
    response = client.get(API, {"encounter_class": "outpatient"})
    assert [r["number"] for r in results(response)] == [b.number]
    assert client.get(API, {"age": "bogus"}).status_code == 400


def test_api_assign_and_next(personas, manager, coder_a):
    a, b = chart(personas.facility, days_ago=8), chart(personas.facility, days_ago=3)
    response = api_client(manager).post(
        f"{API}assign/", {"encounters": [str(a.public_id)], "coder": "coder_a"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["coder"] == "coder_a"
    response = api_client(coder_a).post(
        f"{API}assign/", {"encounters": [str(b.public_id)], "coder": "coder_a"}, format="json"
    )
    assert response.status_code == 403
    error_message(response)

    response = api_client(coder_a).post(f"{API}next/")
    assert response.status_code == 200
    assert response.json()["encounter"] == b.public_ref
    response = api_client(coder_a).post(f"{API}next/")
    assert response.json()["coding"] is None

    response = api_client(manager).post(
        f"{API}assign/", {"encounters": ["not-a-uuid"], "coder": "coder_a"}, format="json"
    )
    assert response.status_code == 400
    assert "encounters" in response.json()["error"]["fields"]


def test_api_pending_and_no_permission(personas, coder_a):
    enc = chart(personas.facility)
    client = api_client(coder_a)
    response = client.post(
        f"{API}{enc.public_id}/pending/", {"reason": "documentation"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["pending_reason"] == "documentation"
    response = client.post(f"{API}{enc.public_id}/pending/", {"reason": "query"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    other = chart(personas.other_facility)
    response = client.post(f"{API}{other.public_id}/pending/", {"reason": ""}, format="json")
    assert response.status_code == 404
    assert api_client(personas.writer).get(API).status_code == 403  # HIM technician
    assert api_client().get(API).status_code == 401


# Demo ------------------------------------------------------------------------------------------------


def test_demo_seed_gives_the_queue_codings_and_queries(db):
    from him import demo

    demo.seed(patients_per_facility=3)
    assert EncounterCoding.objects.filter(assigned_coder__username="coder").count() == 3
    assert EncounterCoding.objects.filter(pending_reason=Pending.DOCUMENTATION).exists()
    from coding.models import PhysicianQuery

    statuses = sorted(PhysicianQuery.objects.values_list("status", flat=True))
    assert statuses == ["answered", "sent"]
    demo.seed(patients_per_facility=3)  # idempotent
    assert PhysicianQuery.objects.count() == 2


# A real race, on a server database ---------------------------------------------------------


# Opt-in: a transactional test flushes every table when it ends, and the roles that
# come back are trailed, so later tests that expect an empty trail (tests/him) or the
# migration-seeded query templates would fail. Run it on its own:
#   HIM_RACE_TESTS=1 DATABASE_URL=postgres://... pytest tests/coding/test_c_queue_dnfb.py -k concurrent
@pytest.mark.skipif(
    not os.environ.get("HIM_RACE_TESTS"), reason="opt-in (HIM_RACE_TESTS=1), on PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_next_chart_never_hands_out_a_chart_twice():
    import threading

    from django.db import connection

    from him.testing.factories import FacilityFactory

    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims need a server database (SQLite serializes writers)")
    facility = FacilityFactory(code="RACE")
    charts = [chart(facility, days_ago=d) for d in range(1, 13)]
    coders = [coder(f"racer{i}", facility) for i in range(6)]
    claimed: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(coders))

    def work(user):
        try:
            start.wait()
            for _ in range(4):
                coding = services.queue_next_chart(user=user)
                if coding is not None:
                    claimed.append((user.username, coding.encounter_id))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in coders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    encounters = [e for _, e in claimed]
    assert len(encounters) == len(set(encounters)) == len(charts)
    for username, encounter_id in claimed:
        assert EncounterCoding.objects.get(encounter_id=encounter_id).assigned_coder.username == (
            username
        )


def test_api_productivity(personas, manager, coder_a):
    finalize(coding_of(chart(personas.facility)), coder_a)
    today = timezone.localdate().isoformat()
    client = api_client(manager)
    response = client.get("/api/v1/coding/productivity/", {"date_from": today, "date_to": today})
    assert response.status_code == 200, response.content
    assert response.json() == [
        {"day": today, "coder": "coder_a", "counts": {"inpatient": 1}, "total": 1}
    ]
    response = client.get(
        "/api/v1/coding/productivity/", {"date_from": today, "date_to": "2000-01-01"}
    )
    assert response.status_code == 400
    assert "date_to" in response.json()["error"]["fields"]
    response = api_client(coder_a).get(
        "/api/v1/coding/productivity/", {"date_from": today, "date_to": today}
    )
    assert response.status_code == 403
