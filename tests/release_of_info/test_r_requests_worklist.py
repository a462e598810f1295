"""The work list (filters, the due date in red as it nears, my requests), the ROI
dashboard (open, due in 7 days, overdue, median turnaround, by requester type), the
platform dashboard tile, and the reports through the engine."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from r_requests_support import TODAY, RequesterFactory, make_request

from him import report_services, roles
from him.models import ReportRun
from him.testing.factories import UserFactory
from him.testing.personas import web_client
from release_of_info.models import Requester, ROIRequest
from release_of_info.services import requests_queries as queries
from release_of_info.services.status import roi_request_set_status

pytestmark = pytest.mark.django_db
LIST = "/roi/requests/"
S = ROIRequest.Status


@pytest.fixture
def specialist(personas):
    return UserFactory(
        username="rita", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )


def release(roi: ROIRequest, released_on: dt.date) -> ROIRequest:
    for status in (S.IN_PROCESS, S.QUALITY_CHECK, S.RELEASED):
        roi = roi_request_set_status(roi=roi, status=status, user=None)
    at = timezone.make_aware(dt.datetime.combine(released_on, dt.time(12)))
    ROIRequest.objects.filter(pk=roi.pk).update(released_at=at)
    return ROIRequest.objects.get(pk=roi.pk)


@pytest.fixture
def mix(personas, specialist):
    f = personas.facility
    attorney = RequesterFactory(type=Requester.Type.ATTORNEY)
    patient_req = RequesterFactory(type=Requester.Type.PATIENT)
    calm = make_request(facility=f, requester=attorney, received_on=TODAY - dt.timedelta(days=2))
    soon = make_request(
        facility=f,
        requester=patient_req,
        purpose=ROIRequest.Purpose.PERSONAL,
        received_on=TODAY - dt.timedelta(days=25),
        assigned_to=specialist,
    )
    late = make_request(facility=f, requester=attorney, received_on=TODAY - dt.timedelta(days=40))
    done_fast = release(
        make_request(facility=f, requester=patient_req, received_on=TODAY - dt.timedelta(days=20)),
        TODAY - dt.timedelta(days=16),
    )
    done_slow = release(
        make_request(facility=f, requester=attorney, received_on=TODAY - dt.timedelta(days=30)),
        TODAY - dt.timedelta(days=10),
    )
    elsewhere = make_request(
        facility=personas.other_facility, received_on=TODAY - dt.timedelta(days=40)
    )
    return {
        "calm": calm,
        "soon": soon,
        "late": late,
        "done_fast": done_fast,
        "done_slow": done_slow,
        "elsewhere": elsewhere,
    }


def shown(response) -> list[str]:
    return [r.number for r in response.context["object_list"]]


def test_filters(specialist, mix):
    client = web_client(specialist)
    assert shown(client.get(LIST, {"queue": "overdue"})) == [mix["late"].number]
    assert shown(client.get(LIST, {"queue": "due_soon"})) == [mix["soon"].number]
    assert shown(client.get(LIST, {"assigned": "me"})) == [mix["soon"].number]
    assert set(shown(client.get(LIST, {"requester_type": "patient"}))) == {
        mix["soon"].number,
        mix["done_fast"].number,
    }
    assert set(shown(client.get(LIST, {"status": [S.RELEASED]}))) == {
        mix["done_fast"].number,
        mix["done_slow"].number,
    }
    patient = mix["calm"].patient
    assert shown(client.get(LIST, {"patient": patient.mrn})) == [mix["calm"].number]
    # With no filter the list shows the open work; "all" adds the closed requests.
    assert set(shown(client.get(LIST))) == {
        mix["calm"].number,
        mix["soon"].number,
        mix["late"].number,
    }
    # Another facility's request never shows, even asked for by its facility.
    everything = shown(client.get(LIST, {"queue": "all"}))
    assert mix["elsewhere"].number not in everything and len(everything) == 5
    assert shown(client.get(LIST, {"facility": "OTHER"})) == []


def test_due_dates_turn_red_as_they_near(specialist, mix):
    response = web_client(specialist).get(LIST, {"queue": "open"})
    html = response.content.decode()
    rows = {r.number: r for r in response.context["object_list"]}
    assert rows[mix["soon"].number].red and rows[mix["late"].number].red
    assert not rows[mix["calm"].number].red
    late_due = mix["late"].due_on.isoformat()
    assert f'due-red" title="overdue">{late_due} OVERDUE' in html
    soon_due = mix["soon"].due_on.isoformat()
    assert f'due-red" title="due within 7 days">{soon_due} (5 d)' in html
    calm_due = mix["calm"].due_on.isoformat()
    assert f"<td>{calm_due}</td>" in html


def test_request_page_clock(specialist, mix):
    client = web_client(specialist)
    late = client.get(f"/roi/requests/{mix['late'].public_id}/").content.decode()
    assert "Overdue by 10 days" in late
    soon = client.get(f"/roi/requests/{mix['soon'].public_id}/").content.decode()
    assert "5 days left" in soon and "due-red" in soon
    calm = client.get(f"/roi/requests/{mix['calm'].public_id}/").content.decode()
    assert "28 days left" in calm and "due-red" not in calm


def test_dashboard_figures_and_median(specialist, mix):
    figures = queries.dashboard(specialist)
    assert (figures["open"], figures["due_soon"], figures["overdue"]) == (3, 1, 1)
    # Released in 4 and 20 days: median 12.
    assert figures["released"] == 2 and figures["median_turnaround"] == 12
    by_type = {row["type"]: row for row in figures["by_type"]}
    assert by_type["attorney"]["total"] == 3 and by_type["attorney"]["overdue"] == 1
    assert by_type["patient"]["median_turnaround"] == 4
    page = web_client(specialist).get("/roi/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="fig-overdue">1<' in html and 'id="fig-median">12 d<' in html


def test_platform_dashboard_shows_requests_past_due(specialist, mix):
    from him import dashboard

    tiles = {t["key"]: t for t in dashboard.tiles_for(specialist)}
    tile = tiles["roi-requests-overdue"]
    assert tile["value"] == 1 and tile["status"] == "alert"
    assert tile["url"].endswith("?queue=overdue")


def _run(user, key: str, params: dict) -> list[list[str]]:
    run = report_services.report_run_request(
        user=user, report_key=key, parameters=params, output_format="csv"
    )
    assert report_services.report_run_execute(run_id=run.pk) == ReportRun.Status.DONE
    run.refresh_from_db()
    with run.output.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_reports_turnaround_and_by_type(specialist, mix):
    params = {
        "date_from": (TODAY - dt.timedelta(days=60)).isoformat(),
        "date_to": TODAY.isoformat(),
    }
    rows = _run(specialist, "roi-turnaround", params)
    header = rows.index(
        [
            "Request",
            "Facility",
            "Requester type",
            "Purpose",
            "Received",
            "Due",
            "Extended",
            "Released",
            "Turnaround (days)",
            "On time",
        ]
    )
    body = {r[0]: r for r in rows[header + 1 :] if r}
    assert set(body) == {mix["done_fast"].number, mix["done_slow"].number}
    assert body[mix["done_fast"].number][8] == "4"
    assert body[mix["done_slow"].number][8] == "20"
    assert body[mix["done_slow"].number][9] == "yes"

    rows = _run(specialist, "roi-requests-by-type", params)
    start = [r[0] for r in rows].index("Requester type")
    table = {r[0]: r for r in rows[start + 1 :] if r}
    # Received, Released, Denied, Cancelled, Open, Open and overdue, Median
    assert table["Attorney"][1:7] == ["3", "1", "0", "0", "2", "1"]
    assert table["Patient"][1:8] == ["2", "1", "0", "0", "1", "0", "4"]


def test_demo_seed_adds_requests_near_due_and_overdue(db):
    from him import demo

    demo.seed(patients_per_facility=7)
    from him.models import User

    roi_user = User.objects.get(username="roi")
    figures = queries.dashboard(roi_user)
    assert figures["overdue"] >= 2 and figures["due_soon"] >= 2 and figures["released"] >= 2
    count = ROIRequest.objects.count()
    demo.seed(patients_per_facility=7)  # idempotent
    assert ROIRequest.objects.count() == count
