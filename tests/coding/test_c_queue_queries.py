"""Physician queries: compliance, sending, the provider's queue and answer, the
chart copy, pending and finalize, metrics, the API and the access contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from c_queue_support import (
    INDICATORS,
    chart,
    coder,
    coding_of,
    draft_query,
    finalize,
    provider,
    sent_query,
    template,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from coding import hooks
from coding.models import EncounterCoding, PhysicianQuery, QueryTemplate
from coding.models.queue import OTHER, UNDETERMINED
from coding.queue_templates import TEMPLATES
from coding.services import queue_queries as queries
from him import context, roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract, error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import Deficiency, Document

API = "/api/v1/coding/queries/"
Status = PhysicianQuery.Status
Pending = EncounterCoding.Pending


@pytest.fixture
def coder_a(personas):
    return coder("coder_a", personas.facility)


@pytest.fixture
def doctor(personas):
    return provider(username="dr_hart", facility=personas.facility)


@pytest.fixture
def coding(personas):
    return coding_of(chart(personas.facility), working_drg="812", working_weight=Decimal("0.8"))


# Templates and compliance ---------------------------------------------------------------------


def test_seeded_templates_are_compliant(db):
    assert QueryTemplate.objects.count() == len(TEMPLATES) >= 5
    kinds = set(QueryTemplate.objects.values_list("kind", flat=True))
    assert kinds == {"multiple_choice", "open_ended", "yes_no"}
    for t in QueryTemplate.objects.all():
        options = t.full_options() if t.kind == "multiple_choice" else t.options
        errors = queries.check_content(
            kind=t.kind,
            question=t.question,
            clinical_indicators=INDICATORS,
            options=options,
            yes_no_situation=t.yes_no_situation,
        )
        assert errors == {}, (t.key, errors)
        if t.kind == "multiple_choice":
            assert options[-2:] == [OTHER, UNDETERMINED]


@pytest.mark.parametrize(
    "question",
    [
        "Documenting acute blood loss anemia would improve reimbursement. Please clarify.",
        "Please clarify the anemia; it changes the DRG.",
        "Can you document the anemia to increase the severity?",
        "Would you add malnutrition, which is an MCC?",
    ],
)
def test_leading_question_is_refused_with_a_clear_message(coding, doctor, coder_a, question):
    with pytest.raises(ValidationError) as exc:
        draft_query(coding, doctor, user=coder_a, question=question)
    message = " ".join(exc.value.message_dict["question"])
    assert "leading" in message
    assert not PhysicianQuery.objects.exists()


def test_multiple_choice_must_offer_other_and_clinically_undetermined(coding, doctor, coder_a):
    with pytest.raises(ValidationError) as exc:
        draft_query(
            coding,
            doctor,
            user=coder_a,
            options=["Acute blood loss anemia", "Iron deficiency anemia", OTHER],
        )
    assert "Clinically undetermined" in " ".join(exc.value.message_dict["options"])
    with pytest.raises(ValidationError) as exc:
        draft_query(
            coding, doctor, user=coder_a, options=["Acute blood loss anemia", OTHER, UNDETERMINED]
        )
    assert "at least two" in " ".join(exc.value.message_dict["options"])


def test_clinical_indicators_are_required(coding, doctor, coder_a):
    with pytest.raises(ValidationError) as exc:
        draft_query(coding, doctor, user=coder_a, clinical_indicators="  ")
    assert "clinical indicators" in " ".join(exc.value.message_dict["clinical_indicators"])


def test_clinical_text_may_say_increase_but_not_mention_money(coding, doctor, coder_a):
    draft_query(
        coding, doctor, user=coder_a, clinical_indicators="Furosemide titrated to increase output."
    )
    with pytest.raises(ValidationError):
        draft_query(coding, doctor, user=coder_a, clinical_indicators="Low Hgb; payment at risk.")


def test_yes_no_only_in_allowed_situations(coding, doctor, coder_a):
    with pytest.raises(ValidationError) as exc:
        draft_query(
            coding,
            doctor,
            user=coder_a,
            template=None,
            kind="yes_no",
            question="Does the patient have sepsis?",
        )
    assert "yes/no query is allowed only" in " ".join(exc.value.message_dict["yes_no_situation"])
    query = draft_query(coding, doctor, user=coder_a, template=template("present-on-admission"))
    assert query.options == ["Yes", "No", UNDETERMINED]


def test_provider_without_a_user_account_is_refused(coding, coder_a, client):
    nobody = provider()
    with pytest.raises(ValidationError) as exc:
        draft_query(coding, nobody, user=coder_a)
    assert "no user account" in " ".join(exc.value.message_dict["provider"])
    response = api_client(coder_a).post(
        API,
        {
            "coding": str(coding.public_id),
            "provider": nobody.npi,
            "template": "anemia-type",
            "clinical_indicators": INDICATORS,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "no user account" in error_message(response)
    assert not PhysicianQuery.objects.exists()


def test_provider_who_could_not_see_the_query_is_refused(personas, coding, coder_a):
    elsewhere = provider(username="dr_elsewhere", facility=personas.other_facility)
    with pytest.raises(ValidationError) as exc:
        draft_query(coding, elsewhere, user=coder_a)
    assert "no access to INSCOPE records" in " ".join(exc.value.message_dict["provider"])
    not_a_physician = provider(user=UserFactory(username="tech_user", roles=[roles.HIM_TECHNICIAN]))
    with pytest.raises(ValidationError) as exc:
        draft_query(coding, not_a_physician, user=coder_a)
    assert "Physician role" in " ".join(exc.value.message_dict["provider"])


def test_final_chart_cannot_be_queried(coding, doctor, coder_a):
    finalize(coding, coder_a)
    with pytest.raises(ValidationError, match="final"):
        draft_query(coding, doctor, user=coder_a)


# Send, pending, finalize ----------------------------------------------------------------------


def test_sending_pends_the_chart_and_blocks_finalize(coding, doctor, coder_a, trail_watch):
    query = sent_query(coding, doctor, user=coder_a)
    coding.refresh_from_db()
    assert query.status == Status.SENT
    assert (query.drg_at_send, query.weight_at_send) == ("812", Decimal("0.8"))
    assert coding.pending_reason == Pending.QUERY
    trail_watch.one(action=Action.UPDATE, object_type="coding.physicianquery")

    problems = hooks.collect(hooks.FINALIZE_CHECKS, coding=coding)
    assert len(problems) == 1 and "still unanswered" in problems[0]

    queries.query_cancel(query=query, user=coder_a, reason="Documented in the discharge summary.")
    coding.refresh_from_db()
    assert coding.pending_reason == Pending.NONE
    assert hooks.collect(hooks.FINALIZE_CHECKS, coding=coding) == []


def test_pending_clears_only_when_no_query_is_outstanding(coding, doctor, coder_a):
    first = sent_query(coding, doctor, user=coder_a)
    second = sent_query(coding, doctor, user=coder_a, template=template("open-clarify-findings"))
    queries.query_answer(query=first, user=doctor.user, option="Acute blood loss anemia")
    coding.refresh_from_db()
    assert coding.pending_reason == Pending.QUERY
    queries.query_answer(query=second, user=doctor.user, text="Dilutional, expected post-op.")
    coding.refresh_from_db()
    assert coding.pending_reason == Pending.NONE


def test_only_drafts_are_sent_or_changed(coding, doctor, coder_a):
    query = sent_query(coding, doctor, user=coder_a)
    with pytest.raises(ValidationError, match="Only a draft"):
        queries.query_send(query=query, user=coder_a)
    with pytest.raises(ValidationError, match="Only a draft"):
        queries.query_update(query=query, user=coder_a, question="Changed?")


# Answer -------------------------------------------------------------------------------------------


def test_only_the_addressed_provider_can_answer(personas, coding, doctor, coder_a, trail_watch):
    query = sent_query(coding, doctor, user=coder_a)
    colleague = provider(username="dr_other", facility=personas.facility)
    for user in (colleague.user, coder_a):
        with pytest.raises(PermissionDenied):
            queries.query_answer(query=query, user=user, option="Acute blood loss anemia")
    assert len(trail_watch.rows(action=Action.DENIED, object_type="coding.physicianquery")) == 2
    query.refresh_from_db()
    assert query.status == Status.SENT

    # The colleague does not even see it.
    response = web_client(colleague.user).get(f"/coding/queries/{query.public_id}/answer/")
    assert response.status_code == 404


def test_answer_is_filed_in_the_chart_signed(coding, doctor, coder_a):
    query = sent_query(coding, doctor, user=coder_a)
    query = queries.query_answer(
        query=query, user=doctor.user, option=OTHER, text="Anemia due to chemotherapy."
    )
    assert query.status == Status.ANSWERED and query.agreement is False
    document = query.answer_document
    assert document.encounter == coding.encounter
    assert document.doc_type == Document.Type.CORRESPONDENCE
    assert document.status == Document.Status.SIGNED
    assert document.current_version.signed_by == doctor
    text = document.current_version.text
    assert INDICATORS in text and "Anemia due to chemotherapy." in text
    assert "812" not in text and "0.8" not in text  # no DRG or weight in the chart
    # Filed signed: chart completion owes nothing for it.
    assert not Deficiency.objects.filter(document=document, status="open").exists()


def test_answer_input_is_checked(coding, doctor, coder_a):
    query = sent_query(coding, doctor, user=coder_a)
    with pytest.raises(ValidationError) as exc:
        queries.query_answer(query=query, user=doctor.user, option="Something made up")
    assert "option" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        queries.query_answer(query=query, user=doctor.user, option=OTHER)
    assert "please specify" in " ".join(exc.value.message_dict["text"])
    assert PhysicianQuery.objects.get(pk=query.pk).status == Status.SENT
    assert not Document.objects.exists()


def test_provider_queue_and_answer_page(personas, coding, doctor, coder_a, trail_watch):
    query = sent_query(coding, doctor, user=coder_a)
    draft_query(coding, doctor, user=coder_a)  # a draft never reaches the provider
    client = web_client(doctor.user)

    response = client.get("/coding/queries/mine/")
    assert response.status_code == 200
    assert [q.pk for q in response.context["object_list"]] == [query.pk]

    page = client.get(f"/coding/queries/{query.public_id}/answer/")
    assert page.status_code == 200
    assert INDICATORS in page.content.decode()
    assert "812" not in page.content.decode()

    response = client.post(f"/coding/queries/{query.public_id}/answer/", {"option": "nonsense"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        f"/coding/queries/{query.public_id}/answer/", {"option": "Acute blood loss anemia"}
    )
    assert response.status_code == 302
    query.refresh_from_db()
    assert query.status == Status.ANSWERED and query.agreement is True
    assert client.get("/coding/queries/mine/").context["object_list"].count() == 0


# The coder's screens ----------------------------------------------------------------------------


def test_coder_writes_and_sends_a_query_from_the_screen(coding, doctor, coder_a, trail_watch):
    client = web_client(coder_a)
    url = f"/coding/codings/{coding.public_id}/queries/new/"
    page = client.get(url, {"template": "anemia-type"})
    assert page.status_code == 200
    assert UNDETERMINED in page.content.decode()
    data = {
        "template": template().pk,
        "provider": doctor.pk,
        "kind": "multiple_choice",
        "question": "Please clarify the type of anemia; this affects the DRG.",
        "clinical_indicators": INDICATORS,
        "options": "\n".join(template().full_options()),
        "send": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "leading" in str(response.context["form"].errors["question"])
    assert not PhysicianQuery.objects.exists()

    data["question"] = template().question
    response = client.post(url, data)
    assert response.status_code == 302
    query = PhysicianQuery.objects.get()
    assert query.status == Status.SENT
    trail_watch.one(action=Action.CREATE, object_type="coding.physicianquery")
    detail = client.get(f"/coding/queries/{query.public_id}/")
    assert detail.status_code == 200


def test_queue_row_opens_a_new_query(personas, coder_a):
    enc = chart(personas.facility)
    response = web_client(coder_a).get(f"/coding/queue/{enc.public_id}/open/", {"to": "query"})
    assert response.status_code == 302
    coding = EncounterCoding.objects.get(encounter=enc)
    assert response["Location"] == f"/coding/codings/{coding.public_id}/queries/new/"


# Finalized hook and metrics -------------------------------------------------------------------


def test_metrics_response_time_agreement_and_drg_impact(personas, coder_a, doctor):
    manager = personas.privileged(roles.HIM_MANAGER)
    answered = []
    for option, hours in (
        ("Acute blood loss anemia", 2),
        (UNDETERMINED, 10),
        ("Iron deficiency anemia", 30),
    ):
        c = coding_of(chart(personas.facility), working_drg="812", working_weight=Decimal("0.8"))
        q = sent_query(c, doctor, user=coder_a)
        PhysicianQuery.objects.filter(pk=q.pk).update(
            sent_at=timezone.now() - dt.timedelta(hours=hours)
        )
        q.refresh_from_db()
        answered.append((c, queries.query_answer(query=q, user=doctor.user, option=option)))
    sent_query(coding_of(chart(personas.facility)), doctor, user=coder_a)  # still open

    first_coding = answered[0][0]
    finalize(first_coding, coder_a, drg="811", weight="1.2")
    hooks.fire(hooks.FINALIZED, coding=first_coding, user=coder_a)

    today = timezone.localdate()
    with context.use(context.RequestContext(user_id=manager.pk, otp_verified=True)):
        rows = queries.query_metrics(manager, today - dt.timedelta(days=3), today)
    (row, total) = rows
    assert (row.sent, row.answered, row.outstanding) == (4, 3, 1)
    assert row.median_hours == pytest.approx(10, abs=0.2)
    assert row.average_hours == pytest.approx(14, abs=0.2)
    assert row.agreement_rate == pytest.approx(66.7)
    assert (row.finalized, row.drg_changed) == (1, 1)
    assert row.average_weight_delta == Decimal("0.4000")
    assert total.provider == "All providers" and total.sent == 4

    response = web_client(manager).get("/coding/queries/metrics/")
    assert response.status_code == 200
    assert web_client(coder_a).get("/coding/queries/metrics/").status_code == 403


# API ----------------------------------------------------------------------------------------------


def test_api_create_send_answer_flow(personas, coding, doctor, coder_a):
    client = api_client(coder_a)
    response = client.post(
        API,
        {
            "coding": str(coding.public_id),
            "provider": doctor.npi,
            "template": "sodium-clinical-significance",
            "clinical_indicators": "Sodium 127 mmol/L on day 1 (labs); fluid restriction ordered.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["options"][-2:] == [OTHER, UNDETERMINED]
    url = f"{API}{body['id']}/"

    response = client.patch(url, {"question": "Does this raise the DRG weight?"}, format="json")
    assert response.status_code == 400
    assert "leading" in error_message(response)

    assert client.post(f"{url}send/").json()["status"] == "sent"
    coding.refresh_from_db()
    assert coding.pending_reason == Pending.QUERY

    response = client.post(f"{url}answer/", {"option": "Hyponatremia"}, format="json")
    assert response.status_code == 403
    error_message(response)

    response = api_client(doctor.user).post(
        f"{url}answer/", {"option": "Hyponatremia"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "answered"
    assert response.json()["answer_document"]

    response = client.post(f"{url}cancel/", {"reason": "late"}, format="json")
    assert response.status_code == 400


def test_api_templates_list(personas, coder_a, doctor):
    response = api_client(coder_a).get("/api/v1/coding/query-templates/")
    assert response.status_code == 200
    keys = {t["key"] for t in response.json()}
    assert "anemia-type" in keys
    assert (
        api_client(doctor.user).get("/api/v1/coding/query-templates/anemia-type/").status_code
        == 200
    )
    no_role = UserFactory(username="nobody_here")
    assert api_client(no_role).get("/api/v1/coding/query-templates/").status_code == 403


def test_api_physician_sees_only_own_sent_queries(personas, coding, doctor, coder_a):
    mine = sent_query(coding, doctor, user=coder_a)
    draft_query(coding, doctor, user=coder_a)
    other = provider(username="dr_two", facility=personas.facility)
    sent_query(coding, other, user=coder_a)
    rows = results(api_client(doctor.user).get(API))
    assert [r["id"] for r in rows] == [mine.public_ref]


class TestPhysicianQueryContract(PolicyContract):
    model = PhysicianQuery
    writer_role = roles.CODER
    reader_role = roles.AUDITOR
    facility_field = "coding__encounter__facility"
    list_url = "/coding/queries/"
    api_list_url = API

    @pytest.fixture(autouse=True)
    def _doctor(self, personas):
        self.doctor = provider(
            username="contract_doc", facilities=[personas.facility, personas.other_facility]
        )

    def make(self, facility):
        return draft_query(coding_of(chart(facility)), self.doctor)

    def detail_url(self, obj):
        return f"/coding/queries/{obj.public_id}/"

    def api_detail_url(self, obj):
        return f"{API}{obj.public_id}/"

    def create_payload(self, facility):
        coding = coding_of(chart(facility))
        return {
            "coding": str(coding.public_id),
            "provider": self.doctor.npi,
            "template": "anemia-type",
            "clinical_indicators": INDICATORS,
        }

    def update_payload(self, obj):
        return {"clinical_indicators": INDICATORS + " Iron studies pending."}

    def search_params(self, obj):
        return {"encounter": obj.coding.encounter.number}


def test_api_outsider_cannot_query_a_chart_out_of_reach(personas, doctor):
    outsider_coder = coder("coder_out", personas.other_facility)
    coding = coding_of(chart(personas.facility))
    response = api_client(outsider_coder).post(
        API,
        {
            "coding": str(coding.public_id),
            "provider": doctor.npi,
            "template": "anemia-type",
            "clinical_indicators": INDICATORS,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "outside your access" in error_message(response)
    assert not PhysicianQuery.objects.exists()


def test_denied_answer_is_trailed_over_the_api(personas, coding, doctor, coder_a, trail_watch):
    query = sent_query(coding, doctor, user=coder_a)
    auditor = personas.reader
    response = api_client(auditor).post(
        f"{API}{query.public_id}/answer/", {"option": "x"}, format="json"
    )
    assert response.status_code == 403
    row = trail_watch.one(action=Action.DENIED, object_type="coding.physicianquery")
    assert row.outcome == Outcome.DENIED


def test_api_metrics(personas, coding, doctor, coder_a):
    manager = personas.privileged(roles.HIM_MANAGER)
    query = sent_query(coding, doctor, user=coder_a)
    queries.query_answer(query=query, user=doctor.user, option="Acute blood loss anemia")
    today = timezone.localdate().isoformat()
    response = api_client(manager).get(
        "/api/v1/coding/query-metrics/", {"date_from": today, "date_to": today}
    )
    assert response.status_code == 200, response.content
    first, total = response.json()
    assert (first["sent"], first["answered"], first["agreement_rate"]) == (1, 1, 100.0)
    assert total["provider"] == "All providers"
    assert api_client(manager).get("/api/v1/coding/query-metrics/").status_code == 400
    response = api_client(coder_a).get(
        "/api/v1/coding/query-metrics/", {"date_from": today, "date_to": today}
    )
    assert response.status_code == 403


def test_template_admin_applies_the_same_checks(db):
    from coding.queue_admin import QueryTemplateForm

    base = {
        "key": "k-test",
        "title": "Test",
        "kind": "multiple_choice",
        "question": "Please clarify the condition.",
        "options": '["Condition A", "Condition B"]',
        "yes_no_situation": "",
        "guidance": "",
        "active": "on",
    }
    assert QueryTemplateForm(data=base).is_valid()
    leading = QueryTemplateForm(data={**base, "question": "Clarify to increase the DRG weight."})
    assert not leading.is_valid() and "leading" in str(leading.errors["question"])
    single = QueryTemplateForm(data={**base, "options": '["Condition A"]'})
    assert not single.is_valid() and "at least two" in str(single.errors["options"])
