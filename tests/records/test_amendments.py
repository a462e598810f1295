"""Amendment requests (HIPAA 45 CFR 164.526): deadlines, the one extension, accept
and deny with the letter, disagreement and rebuttal, the policy contract, the trail."""

from __future__ import annotations

import datetime as dt
import io
import re

import factory
import orjson
import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from him import roles
from him.models import Facility
from him.testing.mixins import PolicyContract, error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from records.models import AmendmentRequest, Document, DocumentVersion, Patient
from records.services import amendments as svc
from records.services.documents import document_create

LIST = "/records/amendments/"
API_LIST = "/api/v1/records/amendments/"
TODAY = timezone.localdate()
Status = AmendmentRequest.Status
Basis = AmendmentRequest.DenialBasis


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    facility = factory.Iterator(Facility.objects.all())
    mrn = factory.Sequence(lambda n: f"A{200000 + n}")
    family_name = factory.Sequence(lambda n: f"Amend{n}")
    given_name = "Ada"
    birth_date = dt.date(1970, 5, 17)
    sex = Patient.Sex.FEMALE


def make_document(
    patient: Patient, *, text: str = "BP 120/80. Allergic to penicillin."
) -> Document:
    document = document_create(
        patient=patient,
        doc_type=Document.Type.PROGRESS_NOTE,
        service_date=TODAY - dt.timedelta(days=100),
        user=None,
        text=text,
        status=Document.Status.SIGNED,
    )
    return document


def make_request(
    patient: Patient | None = None,
    *,
    facility: Facility | None = None,
    received_on: dt.date | None = None,
    documents: list[Document] | None = None,
) -> AmendmentRequest:
    patient = patient or PatientFactory(facility=facility)
    return svc.amendment_receive(
        patient=patient,
        documents=documents or [make_document(patient)],
        requested_change="I am not allergic to penicillin; please correct the allergy list.",
        requester_name="Ada Amend",
        received_on=received_on or TODAY - dt.timedelta(days=10),
        user=None,
    )


@pytest.fixture
def manager(personas):
    return personas.privileged(roles.HIM_MANAGER)


# The policy contract ---------------------------------------------------------------------


class TestAmendmentRequestContract(PolicyContract):
    model = AmendmentRequest
    facility_field = "patient__facility"
    list_url = LIST
    create_url = "/records/amendments/add/"
    api_list_url = API_LIST

    def make(self, facility):
        return make_request(facility=facility)

    def detail_url(self, obj):
        return f"{LIST}{obj.public_id}/"

    def api_detail_url(self, obj):
        return f"{API_LIST}{obj.public_id}/"

    def create_payload(self, facility):
        patient = PatientFactory(facility=facility)
        return {
            "patient": patient.enterprise_id,
            "documents": [str(make_document(patient).public_id)],
            "requested_change": "Correct my address in the H&P.",
            "requester_name": "Nora Newcombe",
            "received_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        }

    def form_data(self, facility, obj=None):
        if obj is not None:
            return None
        return {**self.create_payload(facility), "requester_relationship": "Self"}

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}


# Deadlines and the one extension -----------------------------------------------------------


def test_due_date_is_sixty_days_after_receipt(personas):
    received = TODAY - dt.timedelta(days=5)
    request = make_request(facility=personas.facility, received_on=received)
    assert request.due_on == received + dt.timedelta(days=60)
    assert request.deadline == request.due_on
    assert request.status == Status.RECEIVED


def test_received_date_in_the_future_is_refused(personas):
    patient = PatientFactory(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        make_request(patient, received_on=TODAY + dt.timedelta(days=1))
    assert "future" in caught.value.message_dict["received_on"][0]
    assert not AmendmentRequest.objects.exists()


def test_documents_of_another_patient_are_refused(personas):
    patient = PatientFactory(facility=personas.facility)
    other = PatientFactory(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        make_request(patient, documents=[make_document(patient), make_document(other)])
    assert "belong to this patient" in caught.value.message_dict["documents"][0]
    assert not AmendmentRequest.objects.exists()


def test_api_refuses_documents_of_another_patient(personas):
    patient = PatientFactory(facility=personas.facility)
    other_doc = make_document(PatientFactory(facility=personas.facility))
    response = api_client(personas.writer).post(
        API_LIST,
        {
            "patient": patient.enterprise_id,
            "documents": [str(other_doc.public_id)],
            "requested_change": "Fix it.",
            "requester_name": "Ada",
            "received_on": TODAY.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "belong to this patient" in error_message(response)
    assert not AmendmentRequest.objects.exists()


def test_one_extension_with_a_timely_notice_adds_thirty_days(personas, trail_watch):
    request = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=50))
    notice = TODAY - dt.timedelta(days=1)
    request = svc.amendment_extend(
        request=request, notice_on=notice, reason="Awaiting the author's review.", user=None
    )
    assert request.status == Status.EXTENDED
    assert request.extended_due_on == request.due_on + dt.timedelta(days=30)
    assert request.deadline == request.received_on + dt.timedelta(days=90)
    assert request.extension_notice_on == notice
    row = trail_watch.one(action=Action.UPDATE, object_type="records.amendmentrequest")
    assert row.reason == "amendment extended"
    assert row.patient_id == request.patient_id


def test_a_second_extension_is_refused(personas):
    request = make_request(facility=personas.facility)
    svc.amendment_extend(request=request, notice_on=TODAY, reason="Review.", user=None)
    with pytest.raises(ValidationError) as caught:
        svc.amendment_extend(request=request, notice_on=TODAY, reason="Again.", user=None)
    assert "only one extension" in caught.value.messages[0]
    request.refresh_from_db()
    assert request.extended_due_on == request.due_on + dt.timedelta(days=30)


def test_an_extension_notice_dated_after_the_first_due_date_is_refused(personas):
    request = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=70))
    late = request.due_on + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        svc.amendment_extend(request=request, notice_on=late, reason="Late.", user=None)
    assert "after the first due date" in caught.value.message_dict["notice_on"][0]
    request.refresh_from_db()
    assert request.extended_due_on is None and request.status == Status.RECEIVED


def test_an_extension_needs_a_reason(personas):
    request = make_request(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        svc.amendment_extend(request=request, notice_on=TODAY, reason=" ", user=None)
    assert "reason" in caught.value.message_dict


def test_extension_after_the_due_date_is_a_clear_error_on_screen_and_api(personas):
    request = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=70))
    late = (request.due_on + dt.timedelta(days=2)).isoformat()
    response = web_client(personas.writer).post(
        f"{LIST}{request.public_id}/extend/",
        {"extend-notice_on": late, "extend-reason": "We were busy."},
    )
    assert response.status_code == 200
    form = next(s["form"] for s in response.context["steps"] if s["name"] == "extend")
    assert "after the first due date" in form.errors["notice_on"][0]
    assert "We were busy." in response.content.decode()  # what was typed is kept
    response = api_client(personas.writer).post(
        f"{API_LIST}{request.public_id}/extend/",
        {"notice_on": late, "reason": "We were busy."},
        format="json",
    )
    assert response.status_code == 400
    assert "after the first due date" in error_message(response)
    request.refresh_from_db()
    assert request.extended_due_on is None


# Overdue ----------------------------------------------------------------------------------


def test_overdue_listing(personas):
    overdue = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=61))
    due_soon = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=50))
    fresh = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=1))
    # Extended in time: not overdue any more.
    extended = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=65))
    svc.amendment_extend(request=extended, notice_on=extended.due_on, reason="Review.", user=None)
    # Decided late is no longer on the queue.
    decided = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=80))
    svc.amendment_withdraw(request=decided, user=None)

    assert list(AmendmentRequest.objects.overdue()) == [overdue]
    assert set(AmendmentRequest.objects.due_soon()) == {due_soon}
    assert overdue.is_overdue() and not fresh.is_overdue()

    response = web_client(personas.writer).get(LIST, {"queue": "overdue"})
    assert [o.pk for o in response.context["object_list"]] == [overdue.pk]
    assert response.context["counts"] == {"open": 4, "due_soon": 1, "overdue": 1}
    assert "OVERDUE" in response.content.decode()
    response = api_client(personas.writer).get(API_LIST, {"queue": "overdue"})
    rows = results(response)
    assert [r["public_id"] for r in rows] == [str(overdue.public_id)]
    assert rows[0]["overdue"] is True


# Accept ----------------------------------------------------------------------------------


def test_accept_appends_an_amendment_version_to_each_document(personas, manager, trail_watch):
    patient = PatientFactory(facility=personas.facility)
    first, second = make_document(patient, text="Original one."), make_document(patient)
    request = make_request(patient, documents=[first, second])
    request = svc.amendment_accept(
        request=request, user=manager, notify_persons="Dr. Smith, Springfield Clinic"
    )
    assert request.status == Status.ACCEPTED
    assert request.decided_by == manager and request.decided_on == TODAY
    assert request.acceptance_notice
    for document in (first, second):
        document.refresh_from_db()
        assert document.status == Document.Status.AMENDED
        current = document.current_version
        assert current.kind == DocumentVersion.Kind.AMENDMENT
        assert current.number == 2
        assert str(request.public_id) in current.text
        assert request.requested_change in current.text
        # The old version stays readable.
        original = document.versions.get(number=1)
        assert original.kind == DocumentVersion.Kind.ORIGINAL
    assert first.versions.get(number=1).text == "Original one."
    row = trail_watch.one(action=Action.UPDATE, object_type="records.amendmentrequest")
    assert row.reason == "amendment accepted"
    assert len(orjson.loads(row.detail)["versions"]) == 2


def test_accept_or_deny_twice_is_refused(personas, manager):
    request = make_request(facility=personas.facility)
    svc.amendment_accept(request=request, user=manager)
    with pytest.raises(ValidationError, match="already accepted"):
        svc.amendment_accept(request=request, user=manager)
    with pytest.raises(ValidationError, match="already accepted"):
        svc.amendment_deny(request=request, user=manager, basis=Basis.ACCURATE_COMPLETE)
    assert request.documents.get().versions.count() == 2


def test_a_technician_may_not_decide(personas, trail_watch):
    request = make_request(facility=personas.facility)
    with pytest.raises(PermissionDenied):
        svc.amendment_accept(request=request, user=personas.writer)
    response = web_client(personas.writer).post(f"{LIST}{request.public_id}/accept/", {})
    assert response.status_code == 403
    response = api_client(personas.writer).post(
        f"{API_LIST}{request.public_id}/deny/",
        {"denial_basis": Basis.ACCURATE_COMPLETE},
        format="json",
    )
    assert response.status_code == 403
    assert "HIM manager or the privacy officer" in error_message(response)
    assert len(trail_watch.rows(action=Action.DENIED, outcome=Outcome.DENIED)) == 2
    request.refresh_from_db()
    assert request.status == Status.RECEIVED


def test_accept_through_the_screen(personas, manager):
    request = make_request(facility=personas.facility)
    client = web_client(manager)
    response = client.post(
        f"{LIST}{request.public_id}/accept/", {"accept-notify_persons": "Dr. Who"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and request.notify_persons == "Dr. Who"


# Deny and the letter ------------------------------------------------------------------------


def test_deny_without_a_basis_is_refused(personas, manager):
    request = make_request(facility=personas.facility)
    with pytest.raises(ValidationError) as caught:
        svc.amendment_deny(request=request, user=manager, basis="")
    assert "basis" in caught.value.message_dict
    response = web_client(manager).post(f"{LIST}{request.public_id}/deny/", {"deny-basis": ""})
    assert response.status_code == 200
    form = next(s["form"] for s in response.context["steps"] if s["name"] == "deny")
    assert form.errors["basis"] == ["Choose the basis for denial."]
    response = api_client(manager).post(f"{API_LIST}{request.public_id}/deny/", {}, format="json")
    assert response.status_code == 400
    assert "denial_basis" in response.json()["error"]["fields"]
    request.refresh_from_db()
    assert request.status == Status.RECEIVED and not request.denial_letter


def _pdf_text(data: bytes) -> str:
    """The strings drawn on each page: content streams decompressed by pikepdf."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        raw = b"".join(page.obj.Contents.read_bytes() for page in pdf.pages)
    shown = re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", raw)
    text = " ".join(s.decode("latin-1").replace("\\(", "(").replace("\\)", ")") for s in shown)
    return " ".join(text.split())


def test_denial_letter_states_the_basis_the_rights_and_how_to_complain(
    personas, manager, trail_watch
):
    request = make_request(facility=personas.facility)
    request = svc.amendment_deny(
        request=request,
        user=manager,
        basis=Basis.ACCURATE_COMPLETE,
        explanation="Your allergy was confirmed by testing on 2020-01-02.",
    )
    assert request.status == Status.DENIED
    letter = svc.denial_letter(request).text
    assert "accurate and complete" in letter
    assert "statement of disagreement" in letter
    assert "include a copy of your request and of this letter with any future disclosure" in letter
    assert "Office for Civil Rights" in letter and "Secretary" in letter
    assert svc.privacy_contact().phone in letter

    data = request.denial_letter.read()
    assert data.startswith(b"%PDF")
    text = " ".join(_pdf_text(data).split())
    assert "accurate and complete" in text
    assert "statement of disagreement" in text
    assert "Office for Civil Rights" in text
    assert "confirmed by testing" in text
    row = trail_watch.one(action=Action.UPDATE, object_type="records.amendmentrequest")
    assert row.reason == "amendment denied"


@pytest.mark.parametrize("basis", Basis.values)
def test_each_basis_has_a_plain_language_explanation(personas, manager, basis):
    request = make_request(facility=personas.facility)
    request = svc.amendment_deny(request=request, user=manager, basis=basis)
    assert svc.BASIS_EXPLANATIONS[basis] in svc.denial_letter(request).text


def test_letter_download_is_authorized_and_an_export(personas, manager, trail_watch):
    request = make_request(facility=personas.facility)
    svc.amendment_deny(request=request, user=manager, basis=Basis.NOT_IN_RECORD_SET)
    trail_watch.mark()
    response = web_client(personas.reader).get(f"{LIST}{request.public_id}/letter/denial.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    row = trail_watch.one(action=Action.EXPORT)
    assert row.object_id == str(request.public_id) and row.user_id == personas.reader.pk
    response = api_client(personas.reader).get(
        f"{API_LIST}{request.public_id}/letter/", {"kind": "denial"}
    )
    assert response.status_code == 200
    # No acceptance notice for a denied request; another facility's letter is out of reach.
    assert (
        web_client(personas.reader)
        .get(f"{LIST}{request.public_id}/letter/acceptance.pdf")
        .status_code
        == 404
    )
    assert (
        web_client(personas.outsider)
        .get(f"{LIST}{request.public_id}/letter/denial.pdf")
        .status_code
        == 404
    )


# Disagreement and rebuttal ---------------------------------------------------------------------


def test_rebuttal_before_disagreement_is_refused(personas, manager):
    request = make_request(facility=personas.facility)
    svc.amendment_deny(request=request, user=manager, basis=Basis.ACCURATE_COMPLETE)
    with pytest.raises(ValidationError, match="record the disagreement first"):
        svc.amendment_record_rebuttal(
            request=request, statement="We stand by it.", rebuttal_on=TODAY, user=manager
        )
    response = api_client(personas.writer).post(
        f"{API_LIST}{request.public_id}/rebuttal/",
        {"statement": "We stand by it.", "rebuttal_on": TODAY.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "disagreement first" in error_message(response)


def test_disagreement_only_after_a_denial(personas):
    request = make_request(facility=personas.facility)
    with pytest.raises(ValidationError, match="not denied"):
        svc.amendment_record_disagreement(
            request=request, statement="I disagree.", received_on=TODAY, user=None
        )


def test_disagreement_and_rebuttal_are_kept_with_the_record(personas, manager, trail_watch):
    patient = PatientFactory(facility=personas.facility)
    request = make_request(patient)
    svc.amendment_deny(request=request, user=manager, basis=Basis.ACCURATE_COMPLETE)
    trail_watch.mark()
    svc.amendment_record_disagreement(
        request=request, statement="I never had that reaction.", received_on=TODAY, user=None
    )
    svc.amendment_record_rebuttal(
        request=request, statement="The reaction is documented.", rebuttal_on=TODAY, user=None
    )
    reasons = [r.reason for r in trail_watch.rows(object_type="records.amendmentrequest")]
    assert reasons == ["statement of disagreement recorded", "rebuttal recorded"]
    # The chart shows the request, the denial, the disagreement and the rebuttal.
    page = web_client(personas.writer).get(f"/records/patients/{patient.enterprise_id}/")
    body = page.content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert "Amendments" not in title and body.count('id="chart-amendments"') == 1
    assert str(request.short_ref) in body
    assert "Accurate and complete" in body
    assert "I never had that reaction." in body
    assert "The reaction is documented." in body
    # And the document page can show them with the selector.
    from records.selectors.amendments import amendments_for_document

    document = request.documents.get()
    assert list(amendments_for_document(document, personas.writer)) == [request]
    assert list(amendments_for_document(document, personas.outsider)) == []


def test_withdraw_then_no_decision(personas, manager, trail_watch):
    request = make_request(facility=personas.facility)
    svc.amendment_withdraw(request=request, user=None, note="Patient called.")
    row = trail_watch.one(action=Action.UPDATE, object_type="records.amendmentrequest")
    assert row.reason == "amendment withdrawn"
    with pytest.raises(ValidationError, match="already withdrawn"):
        svc.amendment_accept(request=request, user=manager)


def test_receive_writes_one_create_row(personas, trail_watch):
    request = make_request(facility=personas.facility)
    row = trail_watch.one(action=Action.CREATE, object_type="records.amendmentrequest")
    assert row.object_id == str(request.public_id)
    assert row.patient_id == request.patient_id


# Screens -----------------------------------------------------------------------------------------


def test_new_request_form_offers_only_the_patients_documents(personas):
    patient = PatientFactory(facility=personas.facility)
    mine = make_document(patient)
    theirs = make_document(PatientFactory(facility=personas.facility))
    client = web_client(personas.writer)
    response = client.get("/records/amendments/add/", {"patient": patient.enterprise_id})
    assert response.status_code == 200
    body = response.content.decode()
    assert str(mine.public_id) in body and str(theirs.public_id) not in body
    # Posting someone else's document is refused, and what was typed is kept.
    response = client.post(
        "/records/amendments/add/",
        {
            "patient": patient.enterprise_id,
            "documents": [str(theirs.public_id)],
            "requested_change": "Remove the allergy.",
            "requester_name": "Ada",
            "requester_relationship": "Self",
            "received_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["documents"]
    assert "Remove the allergy." in response.content.decode()
    assert not AmendmentRequest.objects.exists()


def test_new_request_for_an_unknown_patient_is_a_clear_message(personas):
    other = PatientFactory(facility=personas.other_facility)
    response = web_client(personas.writer).get(
        "/records/amendments/add/", {"patient": other.enterprise_id}
    )
    assert response.status_code == 200
    assert "No patient you can reach" in response.content.decode()


def test_nav_shows_amendments_to_the_roles_that_work_them(personas, manager):
    from him import navigation

    labels = lambda user: [i["label"] for i in navigation.items_for(user)]  # noqa: E731
    assert "Amendments" in labels(personas.writer)
    assert "Amendments" in labels(manager)
    assert "Amendments" in labels(personas.privileged(roles.PRIVACY_OFFICER))
    assert "Amendments" not in labels(personas.no_role)


def test_detail_page_offers_only_the_steps_the_role_may_take(personas, manager):
    request = make_request(facility=personas.facility)
    url = f"{LIST}{request.public_id}/"
    steps = lambda user: [s["name"] for s in web_client(user).get(url).context["steps"]]  # noqa: E731
    assert steps(personas.writer) == ["extend", "withdraw"]
    assert steps(manager) == ["extend", "accept", "deny", "withdraw"]
    assert steps(personas.reader) == []


def test_a_patient_out_of_reach_hides_their_requests(personas, monkeypatch):
    """A restricted patient without a grant: their requests are 404 too."""
    from him import policy

    request = make_request(facility=personas.facility)

    def hide_patient(queryset, user, action):
        return queryset.exclude(pk=request.patient_id)

    monkeypatch.setitem(policy._rules, Patient, [*policy._rules.get(Patient, []), hide_patient])
    assert web_client(personas.writer).get(f"{LIST}{request.public_id}/").status_code == 404
    assert api_client(personas.writer).get(f"{API_LIST}{request.public_id}/").status_code == 404


def test_pdf_text_helper_reads_the_letter():
    data = svc.render_letter(svc.Letter(title="T", paragraphs=["hello statement of disagreement"]))
    assert "hello statement of disagreement" in _pdf_text(data)


def test_the_whole_denial_path_through_the_api(personas, manager, trail_watch):
    request = make_request(facility=personas.facility)
    url = f"{API_LIST}{request.public_id}/"
    response = api_client(manager).post(
        f"{url}deny/", {"denial_basis": Basis.NOT_CREATED_HERE}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "denied"
    assert response.json()["has_denial_letter"] is True
    writer = api_client(personas.writer)
    response = writer.post(
        f"{url}disagreement/",
        {"statement": "The note was written here.", "received_on": TODAY.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = writer.post(
        f"{url}rebuttal/",
        {"statement": "Outside record, author reachable.", "rebuttal_on": TODAY.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["rebuttal_statement"] == "Outside record, author reachable."
    reasons = [r.reason for r in trail_watch.rows(action=Action.UPDATE)]
    assert reasons == [
        "amendment denied",
        "statement of disagreement recorded",
        "rebuttal recorded",
    ]


def test_dashboard_tile_counts_overdue_requests(personas):
    from him import dashboard

    make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=61))
    make_request(facility=personas.other_facility, received_on=TODAY - dt.timedelta(days=61))
    tile = next(
        t for t in dashboard.tiles_for(personas.writer) if t["key"] == "records-amendments-overdue"
    )
    assert tile["value"] == 1 and tile["status"] == "alert"
