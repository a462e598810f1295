"""Chart completion: deficiencies found, completed, waived; the queues and the policy."""

from __future__ import annotations

import datetime as dt

import pytest
from deficiency_factories import (
    DeficiencyFactory,
    EncounterFactory,
    PatientFactory,
    ProviderFactory,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from him import context, roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract, error_message, results, snapshot
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import Deficiency, DeficiencyRule, Document, Encounter
from records.services import deficiencies as services
from records.services.documents import document_create, document_sign
from records.services.encounters import encounter_discharge

API = "/api/v1/records/deficiencies/"
Kind = Deficiency.Kind
Status = Deficiency.Status


def discharge(encounter: Encounter, at=None, user=None) -> Encounter:
    at = at or encounter.admit_at + dt.timedelta(days=3)
    encounter_discharge(encounter=encounter, discharge_at=at, disposition="01", user=user)
    encounter.refresh_from_db()
    return encounter


def file(encounter: Encounter, doc_type: str, author=None, status=Document.Status.DRAFT):
    return document_create(
        patient=encounter.patient,
        encounter=encounter,
        doc_type=doc_type,
        service_date=encounter.admit_at.date(),
        author=author or encounter.attending,
        text="Synthetic text.",
        status=status,
        user=None,
    )


@pytest.fixture
def encounter(personas) -> Encounter:
    patient = PatientFactory(facility=personas.facility)
    enc = EncounterFactory(patient=patient)
    # A signed H&P, so only what a test adds is missing.
    document_sign(
        document=file(enc, Document.Type.HISTORY_PHYSICAL), provider=enc.attending, user=None
    )
    return enc


def live(encounter, **filters):
    return list(Deficiency.objects.filter(encounter=encounter, **filters))


# Rules ------------------------------------------------------------------------------------


def test_default_rules_exist_after_migrate(db):
    names = set(DeficiencyRule.objects.filter(facility=None).values_list("doc_type", "kind"))
    assert names >= {
        ("hp", "missing_document"),
        ("operative", "missing_document"),
        ("discharge", "missing_document"),
        ("", "missing_signature"),
    }
    assert services.deficiency_rules_ensure_defaults() == 0  # idempotent


def test_a_facility_rule_overrides_the_general_one(personas, encounter):
    DeficiencyRule.objects.create(
        facility=personas.facility,
        name="Discharge summary within 14 days here",
        kind=Kind.MISSING_DOCUMENT,
        doc_type=Document.Type.DISCHARGE_SUMMARY,
        anchor=DeficiencyRule.Anchor.DISCHARGE,
        hours_allowed=14 * 24,
        encounter_classes="inpatient",
    )
    discharge(encounter)
    (summary,) = live(encounter, doc_type="discharge")
    assert summary.due_at == encounter.discharge_at + dt.timedelta(days=14)


# Discharge and evaluation -------------------------------------------------------------------


def test_discharge_without_a_summary_creates_one_deficiency_for_the_attending(encounter):
    assert live(encounter) == []
    discharge(encounter)
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.DISCHARGED
    missing = live(encounter, kind=Kind.MISSING_DOCUMENT)
    assert len(missing) == 1
    (summary,) = missing
    assert summary.doc_type == Document.Type.DISCHARGE_SUMMARY
    assert summary.provider == encounter.attending
    assert summary.due_at == encounter.discharge_at + dt.timedelta(days=30)
    assert summary.status == Status.OPEN
    assert not summary.is_delinquent


def test_filing_the_summary_completes_it_and_signing_completes_the_signature(encounter):
    discharge(encounter)
    document = file(encounter, Document.Type.DISCHARGE_SUMMARY)
    summary = Deficiency.objects.get(encounter=encounter, kind=Kind.MISSING_DOCUMENT)
    assert summary.status == Status.COMPLETED
    assert summary.completed_at is not None
    # The filed summary is unsigned: its author owes a signature.
    (signature,) = live(encounter, kind=Kind.MISSING_SIGNATURE)
    assert (signature.document, signature.provider, signature.status) == (
        document,
        encounter.attending,
        Status.OPEN,
    )
    document_sign(document=document, provider=encounter.attending, user=None)
    signature.refresh_from_db()
    assert signature.status == Status.COMPLETED
    assert live(encounter, status=Status.OPEN) == []


def test_unsigned_document_is_owed_by_its_author(encounter):
    consultant = ProviderFactory()
    note = file(encounter, Document.Type.CONSULT, author=consultant)
    discharge(encounter)
    (owed,) = live(encounter, kind=Kind.MISSING_SIGNATURE)
    assert owed.document == note
    assert owed.provider == consultant
    assert owed.due_at == encounter.discharge_at + dt.timedelta(days=30)
    document_sign(document=note, provider=consultant, user=None)
    owed.refresh_from_db()
    assert owed.status == Status.COMPLETED


def test_a_document_entered_in_error_no_longer_counts(encounter):
    from records.services.documents import document_mark_entered_in_error

    discharge(encounter)
    document = file(encounter, Document.Type.DISCHARGE_SUMMARY)
    document_mark_entered_in_error(document=document, user=None, reason="wrong patient")
    # Its signature is no longer owed; the summary is missing again.
    assert live(encounter, kind=Kind.MISSING_SIGNATURE, status=Status.OPEN) == []
    assert len(live(encounter, kind=Kind.MISSING_DOCUMENT, status=Status.OPEN)) == 1


def test_reevaluation_and_the_sweep_never_duplicate(encounter):
    file(encounter, Document.Type.CONSULT)
    discharge(encounter)
    before = sorted(Deficiency.objects.values_list("pk", "status"))
    for _ in range(3):
        result = services.encounter_evaluate_deficiencies(encounter=encounter)
        assert (result.created, result.completed) == ([], [])
    result = services.deficiencies_sweep()
    assert (result.created, result.completed) == ([], [])
    assert sorted(Deficiency.objects.values_list("pk", "status")) == before


def test_rules_not_yet_due_show_up_with_their_due_date(personas):
    """An admitted inpatient without an H&P: the deficiency appears at once (the
    physician sees it coming), delinquent only after 24 hours."""
    admitted = timezone.now() - dt.timedelta(hours=2)
    enc = EncounterFactory(patient=PatientFactory(facility=personas.facility), admit_at=admitted)
    services.deficiencies_sweep()
    (hp,) = live(enc)
    assert hp.doc_type == Document.Type.HISTORY_PHYSICAL
    assert hp.due_at == admitted + dt.timedelta(hours=24)
    assert not hp.is_delinquent
    assert Deficiency.objects.delinquent(now=admitted + dt.timedelta(hours=25)).count() == 1


def test_operative_report_only_when_there_was_surgery(personas, encounter):
    discharge(encounter)
    assert not live(encounter, doc_type=Document.Type.OPERATIVE_REPORT)
    outpatient = EncounterFactory(
        patient=encounter.patient,
        encounter_class=Encounter.Class.OUTPATIENT,
        surgery_at=timezone.now() - dt.timedelta(hours=30),
    )
    services.deficiencies_sweep()
    (op,) = live(outpatient)
    assert op.doc_type == Document.Type.OPERATIVE_REPORT
    assert op.is_delinquent


def test_sweep_evaluates_many_encounters_in_a_few_queries(personas, django_assert_max_num_queries):
    patient = PatientFactory(facility=personas.facility)
    for _ in range(20):
        EncounterFactory(patient=patient)
    # 20 encounters, each missing an H&P: a constant handful of queries, not one per row.
    with django_assert_max_num_queries(10):
        result = services.deficiencies_sweep()
    assert len(result.created) == 20


def test_discharge_before_admission_is_refused_with_a_clear_message(encounter):
    with pytest.raises(ValidationError) as caught:
        discharge(encounter, at=encounter.admit_at - dt.timedelta(hours=1))
    assert "cannot be before the admission" in caught.value.message_dict["discharge_at"][0]
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.ADMITTED
    assert encounter.discharge_at is None
    assert live(encounter) == []


def test_discharge_needs_a_known_disposition(encounter):
    with pytest.raises(ValidationError) as caught:
        encounter_discharge(
            encounter=encounter, discharge_at=timezone.now(), disposition="99", user=None
        )
    assert "disposition" in caught.value.message_dict


# Waiving ------------------------------------------------------------------------------------


@pytest.fixture
def manager(personas):
    return personas.privileged(roles.HIM_MANAGER)


def as_verified(user):
    """Run a service as ``user`` after their second factor, as a request would."""
    return context.use(context.RequestContext(user_id=user.pk, otp_verified=True))


@pytest.fixture
def open_summary(encounter):
    discharge(encounter)
    return Deficiency.objects.get(encounter=encounter, kind=Kind.MISSING_DOCUMENT)


def test_waive_requires_the_manager(personas, open_summary, trail_watch):
    with pytest.raises(PermissionDenied):
        services.deficiency_waive(
            deficiency=open_summary, user=personas.writer, reason="Patient left AMA"
        )
    open_summary.refresh_from_db()
    assert open_summary.status == Status.OPEN
    trail_watch.one(action=Action.DENIED, outcome=Outcome.DENIED)
    # Screens and API say the same.
    response = web_client(personas.writer).post(
        f"/records/deficiencies/{open_summary.public_id}/waive/", {"reason": "x"}
    )
    assert response.status_code == 403
    response = api_client(personas.writer).post(
        f"{API}{open_summary.public_id}/waive/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    error_message(response)
    assert snapshot(open_summary)["status"] == Status.OPEN


def test_waive_requires_a_reason(manager, open_summary):
    with as_verified(manager), pytest.raises(ValidationError) as caught:
        services.deficiency_waive(deficiency=open_summary, user=manager, reason="  ")
    assert "why" in caught.value.message_dict["reason"][0]
    response = web_client(manager).post(
        f"/records/deficiencies/{open_summary.public_id}/waive/", {"reason": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    response = api_client(manager).post(
        f"{API}{open_summary.public_id}/waive/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    open_summary.refresh_from_db()
    assert open_summary.status == Status.OPEN


def test_manager_waives_with_a_reason_and_the_trail_says_so(manager, open_summary, trail_watch):
    response = web_client(manager).post(
        f"/records/deficiencies/{open_summary.public_id}/waive/",
        {"reason": "Patient expired before the summary could be dictated"},
    )
    assert response.status_code == 302
    open_summary.refresh_from_db()
    assert open_summary.status == Status.WAIVED
    assert open_summary.waived_by == manager
    row = trail_watch.one(action=Action.UPDATE, object_type="records.deficiency")
    assert row.reason.startswith("waived: Patient expired")
    assert row.object_id == open_summary.public_ref
    assert row.patient_id == open_summary.encounter.patient_id
    # A waived deficiency is never created again.
    services.encounter_evaluate_deficiencies(encounter=open_summary.encounter)
    assert (
        Deficiency.objects.filter(encounter=open_summary.encounter, doc_type="discharge").count()
        == 1
    )


def test_api_waive(manager, open_summary):
    response = api_client(manager).post(
        f"{API}{open_summary.public_id}/waive/", {"reason": "Duplicate visit"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "waived"
    again = api_client(manager).post(
        f"{API}{open_summary.public_id}/waive/", {"reason": "Duplicate visit"}, format="json"
    )
    assert again.status_code == 400
    assert "Only an open deficiency" in error_message(again)


# Delinquency -------------------------------------------------------------------------------


def test_delinquency_rate_arithmetic(personas, manager):
    """30 discharges over the last 3 full months (10 a month) and 6 delinquent
    records: 6 / 10 = 60%, over the 50% threshold: an alert."""
    now = timezone.now()
    start, end = services.last_full_months(timezone.localdate(now))
    patient = PatientFactory(facility=personas.facility)
    day = dt.datetime.combine(start, dt.time(12), tzinfo=timezone.get_current_timezone())
    encounters = []
    for i in range(30):
        at = day + dt.timedelta(days=i * 2)
        encounters.append(
            EncounterFactory(
                patient=patient,
                admit_at=at - dt.timedelta(days=2),
                discharge_at=at,
                status=Encounter.Status.DISCHARGED,
            )
        )
    assert all(start <= e.discharge_at.date() < end for e in encounters)
    # Outside the window: does not count toward the average.
    EncounterFactory(
        patient=patient,
        admit_at=now - dt.timedelta(days=2),
        discharge_at=now - dt.timedelta(hours=1),
        status=Encounter.Status.DISCHARGED,
    )
    past = now - dt.timedelta(days=1)
    for e in encounters[:6]:
        # Two past-due deficiencies on one record count once.
        DeficiencyFactory(encounter=e, due_at=past)
        DeficiencyFactory(encounter=e, due_at=past, kind=Kind.MISSING_SIGNATURE, doc_type="")
    DeficiencyFactory(encounter=encounters[7], due_at=now + dt.timedelta(days=3))  # not yet due
    DeficiencyFactory(encounter=encounters[8], due_at=past, status=Status.WAIVED)
    (row,) = services.delinquency_for_facilities([personas.facility], now=now)
    assert row.delinquent_records == 6
    assert row.average_monthly_discharges == 10
    assert row.rate == pytest.approx(60.0)
    assert row.threshold == 50
    assert row.status == "alert"

    with as_verified(manager):
        tile = services.delinquency_tile(manager)
    assert (tile["value"], tile["status"]) == ("60%", "alert")
    home = web_client(manager).get("/")
    assert b'data-tile="records-delinquency"' in home.content
    page = web_client(manager).get(f"/records/delinquency/{personas.facility.code}/")
    assert page.status_code == 200
    assert page.context["summary"].rate == pytest.approx(60.0)
    assert len(page.context["records"]) == 6
    api = api_client(manager).get("/api/v1/records/delinquency/")
    assert api.status_code == 200
    assert api.json()[0]["rate"] == 60.0
    # Another facility's page is not there for this manager.
    assert web_client(manager).get("/records/delinquency/OTHER/").status_code == 404


def test_delinquency_threshold_is_configurable(settings, personas):
    settings.DELINQUENCY_THRESHOLD = 70
    (row,) = services.delinquency_for_facilities([personas.facility])
    assert row.threshold == 70


def test_delinquency_without_discharges_has_no_rate(personas):
    (row,) = services.delinquency_for_facilities([personas.facility])
    assert row.rate is None
    assert row.status == "ok"


def test_technician_sees_no_delinquency_tile(personas):
    assert web_client(personas.writer).get("/records/delinquency/INSCOPE/").status_code == 403
    assert b"records-delinquency" not in web_client(personas.writer).get("/").content


# The physician sees their own -----------------------------------------------------------------


@pytest.fixture
def physician(personas):
    user = UserFactory(username="drown", roles=[roles.PHYSICIAN], facilities=[personas.facility])
    ProviderFactory(user=user, family_name="Own")
    return user


def test_physician_sees_only_their_own_deficiencies(personas, physician, trail_watch):
    patient = PatientFactory(facility=personas.facility)
    mine = DeficiencyFactory(
        encounter=EncounterFactory(patient=patient, attending=physician.provider),
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    colleagues = DeficiencyFactory(encounter=EncounterFactory(patient=patient))
    elsewhere = DeficiencyFactory(
        encounter=EncounterFactory(
            patient=PatientFactory(facility=personas.other_facility),
            attending=physician.provider,
        )
    )
    client = web_client(physician)
    queue = client.get("/records/chart-completion/")
    assert queue.status_code == 200
    assert list(queue.context["object_list"]) == [mine]
    assert b"past due" in queue.content
    work_list = client.get("/records/deficiencies/")
    assert list(work_list.context["object_list"]) == [mine]
    api = api_client(physician)
    assert [r["id"] for r in results(api.get(API))] == [mine.public_ref]
    assert api.get(f"{API}{colleagues.public_id}/").status_code == 404
    assert api.get(f"{API}{elsewhere.public_id}/").status_code == 404
    assert client.get(f"/records/deficiencies/{elsewhere.public_id}/").status_code == 404
    # The technician sees every deficiency at the facility, not the other facility's.
    technician = {r["id"] for r in results(api_client(personas.writer).get(API))}
    assert technician == {mine.public_ref, colleagues.public_ref}


def test_work_list_filters(personas):
    patient = PatientFactory(facility=personas.facility)
    late = DeficiencyFactory(
        encounter=EncounterFactory(patient=patient), due_at=timezone.now() - dt.timedelta(days=2)
    )
    DeficiencyFactory(encounter=EncounterFactory(patient=patient))
    client = web_client(personas.writer)
    response = client.get("/records/deficiencies/", {"overdue": "true"})
    assert list(response.context["object_list"]) == [late]
    response = client.get("/records/deficiencies/", {"provider": late.provider.npi})
    assert list(response.context["object_list"]) == [late]
    response = api_client(personas.writer).get(API, {"overdue": "true", "facility": "INSCOPE"})
    assert [r["id"] for r in results(response)] == [late.public_ref]
    assert results(response)[0]["is_delinquent"] is True


def test_chart_shows_the_patients_deficiencies(personas, open_summary):
    patient = open_summary.encounter.patient
    response = web_client(personas.writer).get(f"/records/patients/{patient.enterprise_id}/")
    assert response.status_code == 200
    assert open_summary.public_ref in response.content.decode()


def test_rules_are_listed_read_only(personas):
    response = api_client(personas.writer).get("/api/v1/records/deficiency-rules/")
    assert response.status_code == 200
    assert len(results(response)) >= 4
    assert api_client(personas.writer).post(
        "/api/v1/records/deficiency-rules/", {}, format="json"
    ).status_code in (403, 405)


# The policy contract --------------------------------------------------------------------------


class TestDeficiencyContract(PolicyContract):
    model = Deficiency
    list_url = "/records/deficiencies/"
    api_list_url = API
    facility_field = "encounter__facility"

    def make(self, facility):
        return DeficiencyFactory(
            encounter=EncounterFactory(patient=PatientFactory(facility=facility))
        )

    def detail_url(self, obj):
        return f"/records/deficiencies/{obj.public_id}/"

    def api_detail_url(self, obj):
        return f"{API}{obj.public_id}/"

    def search_params(self, obj):
        return {"encounter": obj.encounter.number}

    # Deficiencies are written only by services (evaluation, waive): the API
    # offers no create, update or delete, so the contract's write checks become
    # "refused, nothing changed".

    def test_writes_to_an_object_out_of_scope_are_404(self, personas, deleter, outside):
        before = snapshot(outside)
        client = api_client(deleter)
        for method in ("patch", "put", "delete"):
            response = getattr(client, method)(self.api_detail_url(outside), {}, format="json")
            assert response.status_code in (403, 404, 405), method
            assert str(outside.public_id) not in response.content.decode()
        assert snapshot(outside) == before

    def test_api_delete_writes_a_delete_row(self, deleter, inside, trail_watch):
        response = api_client(deleter).delete(self.api_detail_url(inside))
        assert response.status_code == 405
        assert Deficiency.objects.filter(pk=inside.pk).exists()
        trail_watch.none(action=Action.DELETE)


def test_queue_offers_what_the_physician_must_do(personas, physician):
    enc = EncounterFactory(
        patient=PatientFactory(facility=personas.facility), attending=physician.provider
    )
    note = file(enc, Document.Type.PROGRESS_NOTE, author=physician.provider)
    discharge(enc)
    response = web_client(physician).get("/records/chart-completion/")
    assert response.status_code == 200
    kinds = {(d.kind, d.doc_type) for d in response.context["object_list"]}
    assert kinds == {
        (Kind.MISSING_SIGNATURE, Document.Type.PROGRESS_NOTE),
        (Kind.MISSING_DOCUMENT, Document.Type.DISCHARGE_SUMMARY),
        (Kind.MISSING_DOCUMENT, Document.Type.HISTORY_PHYSICAL),
    }
    page = response.content.decode()
    assert str(note) in page
    # The physician dictates; transcription types it: no link to a screen their role
    # cannot open. The technician gets it.
    assert "/records/transcription/new/" not in page and "to be dictated" in page
    work_list = web_client(personas.writer).get("/records/deficiencies/").content.decode()
    assert f"/records/transcription/new/?encounter={enc.public_id}" in work_list


def test_a_rule_with_an_unknown_encounter_class_is_refused(db):
    rule = DeficiencyRule(
        name="Typo",
        kind=Kind.MISSING_DOCUMENT,
        doc_type=Document.Type.CONSULT,
        anchor=DeficiencyRule.Anchor.ADMISSION,
        hours_allowed=24,
        encounter_classes="inpatent",
    )
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert "Unknown class inpatent" in caught.value.message_dict["encounter_classes"][0]
