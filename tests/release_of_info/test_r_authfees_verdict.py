"""The authorization verdict: computed from what is on file, each reason in words."""

from __future__ import annotations

import datetime as dt

import pytest
from r_authfees_support import (
    TODAY,
    access_request,
    complete_authorization,
    make_document,
    make_encounter,
    make_request,
    pick,
)

from him.testing.factories import FacilityFactory, UserFactory
from records.models import Document, Sensitivity
from release_of_info import hooks
from release_of_info.models import Authorization, DisclosureBasis, ROIRequest
from release_of_info.services.authorization import (
    disclosure_basis_record,
    document_reason,
    request_identity_verify,
    verdict,
)

pytestmark = pytest.mark.django_db
Kind = Authorization.Kind
YESTERDAY = f"{TODAY - dt.timedelta(days=1):%Y-%m-%d}"


@pytest.fixture
def facility():
    return FacilityFactory(code="AUTHF")


@pytest.fixture
def roi(facility):
    return make_request(facility)


def asked(roi, **kwargs):
    """A document of the patient, picked for the packet: now it is asked."""
    document = make_document(roi.patient, **kwargs)
    pick(roi, document)
    return document


def reasons(roi, on=TODAY):
    result = verdict(roi, on=on)
    assert not result.valid
    return " | ".join(result.reasons)


def test_a_complete_authorization_is_valid_and_says_on_what(roi):
    complete_authorization(roi)
    result = verdict(roi, on=TODAY)
    assert result.valid, result.reasons
    assert result.reasons == []
    assert f"signed {TODAY - dt.timedelta(days=10):%Y-%m-%d} by Nora Authfam" in result.basis
    assert hooks.collect(hooks.RELEASE_CHECKS, request=roi) == []


def test_no_authorization_at_all(roi):
    assert "No authorization on file" in reasons(roi)


MISSING = [
    ({"with_file": False}, "No signed form is uploaded"),
    ({"description": ""}, "description of the information"),
    ({"disclosing_party": ""}, "who may make the disclosure"),
    ({"recipient_name": ""}, "the recipient(s)"),
    ({"purpose": ""}, "the purpose of the disclosure"),
    ({"expires_on": None}, "an expiration date or expiration event"),
    ({"signed_by_name": ""}, "Missing element: the signature"),
    ({"signed_on": None}, "the date of the signature"),
    ({"signed_by_representative": True}, "their authority to act"),
    ({"states_right_to_revoke": False}, "the right to revoke"),
    ({"states_conditioning": False}, "conditioned on signing"),
    ({"states_redisclosure": False}, "redisclosed"),
]


@pytest.mark.parametrize(("change", "expected"), MISSING, ids=[m[1][:30] for m in MISSING])
def test_each_missing_element_is_named(roi, change, expected):
    complete_authorization(roi, **change)
    text = reasons(roi)
    assert expected in text
    # Only that one element is reported (the others are all there).
    assert text.count("Missing") + text.count("No signed form") == 1, text


def test_representative_with_authority_is_valid(roi):
    complete_authorization(
        roi, signed_by_representative=True, representative_authority="Health care proxy"
    )
    assert verdict(roi, on=TODAY).valid


def test_expiration_event_without_date_is_enough_until_it_occurs(roi):
    auth = complete_authorization(roi, expires_on=None, expiration_event="End of the lawsuit")
    assert verdict(roi, on=TODAY).valid
    auth.expiration_event_on = TODAY - dt.timedelta(days=1)
    auth.save()
    assert f"expiration event (“End of the lawsuit”) occurred on {YESTERDAY}" in reasons(roi)


def test_expired_by_date(roi):
    complete_authorization(roi, expires_on=TODAY - dt.timedelta(days=1))
    assert f"Expired on {YESTERDAY}" in reasons(roi)
    # The day before it expired it was fine.
    assert verdict(roi, on=TODAY - dt.timedelta(days=2)).valid


def test_revoked(roi):
    complete_authorization(roi, revoked_on=TODAY - dt.timedelta(days=2))
    assert f"Revoked on {TODAY - dt.timedelta(days=2):%Y-%m-%d}" in reasons(roi)


def test_signed_before_birth(facility):
    roi = make_request(facility)
    complete_authorization(roi, signed_on=roi.patient.birth_date - dt.timedelta(days=1))
    assert "before the patient's birth" in reasons(roi)


def test_signed_after_death_unless_by_a_representative(facility):
    roi = make_request(facility)
    roi.patient.deceased_date = TODAY - dt.timedelta(days=30)
    roi.patient.save()
    auth = complete_authorization(roi)
    assert "after the patient's death" in reasons(roi)
    auth.signed_by_representative = True
    auth.representative_authority = "Executor of the estate"
    auth.save()
    assert verdict(roi, on=TODAY).valid


def test_recipient_must_be_the_requester(roi):
    complete_authorization(roi, recipient_name="Some Other Firm")
    assert "is not the requester" in reasons(roi)


def test_recipient_matched_by_organization(roi):
    complete_authorization(roi, recipient_name="synthetic llp, attn records")
    assert verdict(roi, on=TODAY).valid


def test_purpose_must_match_unless_at_the_request_of_the_individual(roi):
    auth = complete_authorization(roi, purpose=ROIRequest.Purpose.PAYMENT)
    assert "It is for payment / insurance; the request is for legal" in reasons(roi)
    auth.purpose = ROIRequest.Purpose.PERSONAL
    auth.save()
    assert verdict(roi, on=TODAY).valid


def test_not_covering_the_types_asked(roi):
    roi.document_types = [Document.Type.DISCHARGE_SUMMARY, Document.Type.OPERATIVE_REPORT]
    roi.save()
    complete_authorization(roi, document_types=[Document.Type.DISCHARGE_SUMMARY])
    assert "document types asked for: Operative report" in reasons(roi)


def test_not_covering_the_dates_asked(roi):
    roi.date_from, roi.date_to = dt.date(2025, 1, 1), dt.date(2026, 5, 1)
    roi.save()
    complete_authorization(roi, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31))
    text = reasons(roi)
    assert "from 2025-01-01; the authorization covers only from 2026-01-01" in text
    assert "up to 2026-05-01; the authorization covers only up to 2026-03-31" in text


def test_not_covering_the_encounters_asked(roi):
    first, second = make_encounter(roi.patient, "V-ONE"), make_encounter(roi.patient, "V-TWO")
    roi.encounters.set([first, second])
    complete_authorization(roi, encounters=[first])
    assert "encounters asked for: V-TWO" in reasons(roi)


def test_psychotherapy_notes_need_their_own_authorization(roi):
    asked(roi)
    asked(roi, doc_type=Document.Type.PROGRESS_NOTE, sensitivity=Sensitivity.PSYCHOTHERAPY)
    complete_authorization(roi)
    assert "Psychotherapy notes are asked" in reasons(roi)
    complete_authorization(roi, kind=Kind.PSYCHOTHERAPY, categories=Sensitivity.PSYCHOTHERAPY)
    assert verdict(roi, on=TODAY).valid


def test_psychotherapy_cannot_be_combined(roi):
    asked(roi, doc_type=Document.Type.PROGRESS_NOTE, sensitivity=Sensitivity.PSYCHOTHERAPY)
    complete_authorization(
        roi,
        kind=Kind.PSYCHOTHERAPY,
        categories=Sensitivity.PSYCHOTHERAPY | Sensitivity.HIV,
    )
    assert "cannot be combined with other information" in reasons(roi)


def test_a_general_authorization_naming_psychotherapy_is_combined(roi):
    asked(roi)
    complete_authorization(roi, categories=Sensitivity.PSYCHOTHERAPY)
    assert "names psychotherapy notes together with other information" in reasons(roi)


def test_part2_records_need_a_part2_consent(roi):
    asked(roi, sensitivity=Sensitivity.PART2)
    complete_authorization(roi)
    assert "42 CFR Part 2" in reasons(roi)
    consent = complete_authorization(roi, kind=Kind.PART2)
    assert "explicit description of the substance use" in reasons(roi)
    consent.part2_description = "Alcohol use disorder treatment records, 2026"
    consent.save()
    assert verdict(roi, on=TODAY).valid


@pytest.mark.parametrize(
    ("category", "label"),
    [
        (Sensitivity.HIV, "HIV / AIDS"),
        (Sensitivity.GENETIC, "Genetic"),
        (Sensitivity.BEHAVIORAL, "Behavioral health"),
        (Sensitivity.REPRODUCTIVE, "Reproductive health"),
    ],
)
def test_sensitive_categories_must_be_named(roi, category, label):
    asked(roi, sensitivity=category)
    auth = complete_authorization(roi)
    assert f"does not name {label} information" in reasons(roi)
    auth.categories = category
    auth.save()
    assert verdict(roi, on=TODAY).valid


def test_release_checks_hook_gives_the_reasons(roi):
    complete_authorization(roi, states_redisclosure=False)
    found = hooks.collect(hooks.RELEASE_CHECKS, request=roi)
    assert any("redisclosed" in r for r in found)


# Right of access, treatment, 164.512 --------------------------------------------------------


def test_right_of_access_needs_identity_not_authorization(facility):
    roi = access_request(facility)
    result = verdict(roi, on=TODAY)
    assert not result.valid
    assert result.reasons[0].startswith("Identity not verified")
    clerk = UserFactory(username="clerk", first_name="Rita", last_name="Osei")
    request_identity_verify(request=roi, user=clerk, method="Driver's licence seen")
    result = verdict(roi, on=TODAY)
    assert result.valid
    assert result.basis.startswith("no authorization needed: right of access")
    assert "identity verified by Rita Osei on" in result.basis


def test_right_of_access_excludes_psychotherapy_notes(facility):
    roi = access_request(facility)
    request_identity_verify(request=roi, user=None, method="In person")
    asked(roi, sensitivity=Sensitivity.PSYCHOTHERAPY)
    assert "outside the right of access" in reasons(roi)


def test_treatment_disclosure_needs_identity(facility):
    roi = make_request(facility, purpose=ROIRequest.Purpose.TREATMENT)
    assert "Identity not verified" in reasons(roi)
    request_identity_verify(request=roi, user=None, method="Called back the clinic's number")
    assert "disclosure for treatment" in verdict(roi, on=TODAY).basis


def test_164_512_basis_is_accepted_once_documented(roi):
    disclosure_basis_record(
        request=roi, user=None, basis=DisclosureBasis.Basis.COURT_ORDER, reference="Case 26-CV-1"
    )
    assert "upload the copy of the order" in reasons(roi)
    from r_authfees_support import pdf_upload

    disclosure_basis_record(
        request=roi,
        user=None,
        basis=DisclosureBasis.Basis.COURT_ORDER,
        reference="Case 26-CV-1",
        uploaded=pdf_upload("order.pdf"),
    )
    result = verdict(roi, on=TODAY)
    assert result.valid
    assert "Court or administrative order" in result.basis and "Case 26-CV-1" in result.basis


def test_public_health_basis_needs_no_document(roi):
    disclosure_basis_record(request=roi, user=None, basis=DisclosureBasis.Basis.PUBLIC_HEALTH)
    assert verdict(roi, on=TODAY).valid


# Coverage, document by document ---------------------------------------------------------------


def test_coverage_leaves_the_right_documents_out(roi):
    enc_in, enc_out = make_encounter(roi.patient), make_encounter(roi.patient)
    complete_authorization(
        roi,
        document_types=[Document.Type.DISCHARGE_SUMMARY, Document.Type.LAB],
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 3, 31),
        encounters=[enc_in],
        categories=Sensitivity.HIV,
    )
    p = roi.patient
    ok = make_document(p, encounter=enc_in)
    hiv = make_document(
        p, encounter=enc_in, doc_type=Document.Type.LAB, sensitivity=Sensitivity.HIV
    )
    wrong_type = make_document(p, encounter=enc_in, doc_type=Document.Type.OPERATIVE_REPORT)
    too_old = make_document(p, encounter=enc_in, service_date=dt.date(2025, 12, 31))
    other_enc = make_document(p, encounter=enc_out)
    genetic = make_document(p, encounter=enc_in, sensitivity=Sensitivity.GENETIC)
    psych = make_document(p, encounter=enc_in, sensitivity=Sensitivity.PSYCHOTHERAPY)
    part2 = make_document(p, encounter=enc_in, sensitivity=Sensitivity.PART2)

    def why(doc):
        return document_reason(roi, doc, on=TODAY)

    assert why(ok) is None
    assert why(hiv) is None
    assert "Operative report" in why(wrong_type)
    assert "before the authorization's range" in why(too_old)
    assert "encounter the authorization does not name" in why(other_enc)
    assert "Genetic information the authorization does not name" in why(genetic)
    assert "psychotherapy notes authorization" in why(psych)
    assert "Part 2 consent" in why(part2)
    # Through the hook, as the packet part asks.
    assert hooks.coverage(roi, [ok, wrong_type]) == [None, why(wrong_type)]


def test_a_packets_documents_are_judged_with_the_request_read_once(roi):
    # The request's encounters, authorizations and basis are read once for all the
    # documents, not once each (a 140-document packet asked about 500 queries).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    complete_authorization(roi)
    few = [make_document(roi.patient) for _ in range(2)]
    many = few + [make_document(roi.patient) for _ in range(18)]
    with CaptureQueriesContext(connection) as for_few:
        assert hooks.coverage(ROIRequest.objects.get(pk=roi.pk), few) == [None] * 2
    with CaptureQueriesContext(connection) as for_many:
        assert hooks.coverage(ROIRequest.objects.get(pk=roi.pk), many) == [None] * 20
    assert len(for_many.captured_queries) == len(for_few.captured_queries)


def test_coverage_for_a_request_without_valid_authorization(roi):
    doc = make_document(roi.patient)
    assert document_reason(roi, doc, on=TODAY) == "No valid authorization covers it."


def test_coverage_outside_what_the_request_asks(roi):
    roi.document_types = [Document.Type.LAB]
    roi.save()
    complete_authorization(roi)
    doc = make_document(roi.patient)
    assert document_reason(roi, doc, on=TODAY).startswith("Not asked")


def test_open_ended_access_request_is_not_blocked_by_psychotherapy_notes(facility):
    roi = access_request(facility)
    request_identity_verify(request=roi, user=None, method="Portal account")
    general = make_document(roi.patient)
    notes = make_document(roi.patient, sensitivity=Sensitivity.PSYCHOTHERAPY)
    # Nothing picked yet: the notes are left out, the rest may go.
    assert verdict(roi, on=TODAY).valid
    assert document_reason(roi, general, on=TODAY) is None
    assert "psychotherapy notes authorization" in document_reason(roi, notes, on=TODAY)
    # Picked explicitly, they are asked, and the right of access does not reach them.
    pick(roi, notes)
    assert "outside the right of access" in reasons(roi)
