"""The catalog and validate API, the pages, and the query bound of a big claim."""

import pytest
from c_edits_support import claim, cm_fy2026, ids, run
from coding_factories import code_set, codes, encounter, patient
from django.urls import reverse

from coding.claim import claim_of
from coding.models import DiagnosisLine, EncounterCoding
from coding.services.encounters import coding_for
from him import roles
from him.models import AccessEvent
from him.testing.factories import FacilityFactory, UserFactory
from him.testing.personas import api_client, web_client
from records.models import Encounter, Patient

pytestmark = pytest.mark.django_db

CATALOG_URL = "/api/v1/coding/edits/"
VALIDATE_URL = "/api/v1/coding/validate/"

# 25 real FY2026 codes a long medical stay might carry, with their categories.
BIG = [
    ("I5021", "Acute systolic (congestive) heart failure"),
    ("N184", "Chronic kidney disease, stage 4 (severe)"),
    ("D631", "Anemia in chronic kidney disease"),
    ("E1122", "Type 2 diabetes mellitus with diabetic chronic kidney disease"),
    ("Z794", "Long term (current) use of insulin"),
    ("E785", "Hyperlipidemia, unspecified"),
    ("J449", "Chronic obstructive pulmonary disease, unspecified"),
    ("F17210", "Nicotine dependence, cigarettes, uncomplicated"),
    ("K219", "Gastro-esophageal reflux disease without esophagitis"),
    ("I4891", "Unspecified atrial fibrillation"),
    ("Z950", "Presence of cardiac pacemaker"),
    ("E871", "Hypo-osmolality and hyponatremia"),
    ("N390", "Urinary tract infection, site not specified"),
    ("R5383", "Other fatigue"),
    ("G4733", "Obstructive sleep apnea (adult) (pediatric)"),
    ("M5450", "Low back pain, unspecified"),
    ("E039", "Hypothyroidism, unspecified"),
    ("F32A", "Depression, unspecified"),
    ("Z87891", "Personal history of nicotine dependence"),
    ("I2510", "Atherosclerotic heart disease of native coronary artery without angina pectoris"),
    ("E669", "Obesity, unspecified"),
    ("Z6830", "Body mass index [BMI] 30.0-30.9, adult"),
    ("I700", "Atherosclerosis of aorta"),
    ("Z7901", "Long term (current) use of anticoagulants"),
    ("S72001", "Fracture of unspecified part of neck of right femur"),
]


def _big_set():
    from c_edits_support import pcs_fy2026
    from coding_factories import seventh

    pcs_fy2026()
    cs = code_set()
    rows, seen = [], set()
    for code, title in BIG:
        for n in range(3, len(code)):
            if code[:n] not in seen:
                seen.add(code[:n])
                rows.append((code[:n], f"{title} (category)", False))
        rows.append((code, title))
        seen.add(code)
    made = codes(cs, rows)
    seventh(made["S72"], [("A", "initial encounter for closed fracture")])


def test_a_25_diagnosis_claim_validates_in_a_handful_of_queries(django_assert_max_num_queries):
    _big_set()
    dx = [(code + ("A" if code == "S72001" else ""), "Y") for code, _ in BIG]
    c = claim(dx, px=["0DTJ4ZZ"], disposition="01")
    with django_assert_max_num_queries(10):
        found = run(c)
    assert len(c.diagnoses) == 25
    assert set(ids(found)) == {"POA-EXEMPT-CODE"}  # exempt Z codes reported with Y
    # With a header, an unknown and an unspecified code: children and versions, once each.
    dirty = c.with_diagnoses([*c.diagnoses[:22], *claim(["E11", "E11.7", "E66.9"]).diagnoses])
    with django_assert_max_num_queries(12):
        found = run(dirty)
    assert {"CM-HEADER", "CM-NOT-VALID"} <= set(ids(found))


def test_a_saved_encounter_validates_through_claim_of():
    cm_fy2026()
    coding = coding_for(encounter(patient(FacilityFactory())))
    DiagnosisLine.objects.create(coding=coding, sequence=1, code="D631", poa="Y")
    DiagnosisLine.objects.create(coding=coding, sequence=2, code="N184", poa="")
    found = run(claim_of(coding))
    assert {"CM-MANIFESTATION-PDX", "POA-MISSING"} <= set(ids(found))


@pytest.fixture
def coder():
    return UserFactory(username="coder1", roles=[roles.CODER], facilities=[FacilityFactory()])


def test_the_catalog_lists_every_edit(coder):
    response = api_client(coder).get(CATALOG_URL)
    assert response.status_code == 200
    rows = {r["id"]: r for r in response.json()}
    assert rows["CM-EXCLUDES1"]["severity"] == "error"
    assert rows["CM-USE-ADDITIONAL"]["severity"] == "warning"
    assert "I.A.12.a" in rows["CM-EXCLUDES1"]["rule"]
    assert "MCE-SEX-CONFLICT" in rows and "NCCI-MUE" in rows


def test_the_api_refuses_anonymous_callers_and_users_without_a_role(db):
    assert api_client().get(CATALOG_URL).status_code in (401, 403)
    assert api_client().post(VALIDATE_URL, {}, format="json").status_code in (401, 403)
    nobody = UserFactory(username="nobody", facilities=[FacilityFactory()])
    assert api_client(nobody).get(CATALOG_URL).status_code == 403
    assert api_client(nobody).post(VALIDATE_URL, {}, format="json").status_code == 403


def test_validate_returns_the_edits_and_touches_no_patient_row(coder):
    cm_fy2026()
    before = (Patient.objects.count(), Encounter.objects.count(), EncounterCoding.objects.count())
    trail_before = AccessEvent.objects.count()
    payload = {
        "encounter_class": "inpatient",
        "discharge_date": "2026-03-10",
        "sex": "F",
        "birth_date": "1950-03-04",
        "diagnoses": [{"code": "D63.1", "poa": "Y"}, {"code": "N18.4"}],
        "procedures": [],
    }
    response = api_client(coder, token=True).post(VALIDATE_URL, payload, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    found = {e["id"]: e for e in body["edits"]}
    assert found["CM-MANIFESTATION-PDX"]["line"] == "dx:1"
    assert found["CM-MANIFESTATION-PDX"]["suggestions"] == ["N184"]
    assert found["POA-MISSING"]["codes"] == ["N184"]
    assert body["blocking"] >= 2
    after = (Patient.objects.count(), Encounter.objects.count(), EncounterCoding.objects.count())
    assert after == before
    assert AccessEvent.objects.count() == trail_before  # no PHI, nothing to record


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"sex": "F", "age": 70}, "discharge_date"),
        ({"discharge_date": "2026-03-10", "sex": "F"}, "age"),
        ({"discharge_date": "not a date", "age": 70}, "discharge_date"),
        ({"discharge_date": "2026-03-10", "age": 70, "diagnoses": "E11.9"}, "diagnoses"),
        ({"discharge_date": "2026-03-10", "age": 70, "sex": "Q"}, "sex"),
        (
            {"discharge_date": "2026-03-10", "age": 70, "diagnoses": [{"code": "I10"}] * 26},
            "diagnoses",
        ),
        (
            {
                "discharge_date": "2026-03-10",
                "age": 70,
                "services": [{"code": "99213", "units": 0}],
            },
            "services",
        ),
    ],
)
def test_a_bad_payload_is_a_clear_400(coder, payload, field):
    response = api_client(coder).post(VALIDATE_URL, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"] and error["message"]


def test_a_malformed_json_body_is_a_400(coder):
    response = api_client(coder).post(VALIDATE_URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_the_catalog_page_and_its_filters(coder):
    client = web_client(coder)
    page = client.get(reverse("coding:edit-catalog"))
    assert page.status_code == 200 and b"CM-EXCLUDES1" in page.content
    warnings = client.get(reverse("coding:edit-catalog"), {"severity": "warning"})
    assert b"CM-USE-ADDITIONAL" in warnings.content and b"CM-EXCLUDES1" not in warnings.content


def test_the_check_page_shows_what_would_fail(coder):
    cm_fy2026()
    client = web_client(coder)
    assert client.get(reverse("coding:edit-check")).status_code == 200
    page = client.post(
        reverse("coding:edit-check"),
        {
            "encounter_class": "inpatient",
            "discharge_date": "2026-03-10",
            "sex": "F",
            "age": "70",
            "diagnoses": "I50.21 Y\nE11.6 Y\n",
            "procedures": "",
            "services": "",
        },
    )
    assert page.status_code == 200
    assert b"CM-HEADER" in page.content and b"E1165" in page.content


def test_the_check_page_explains_bad_input(coder):
    page = web_client(coder).post(
        reverse("coding:edit-check"), {"discharge_date": "", "age": "", "diagnoses": "I10"}
    )
    assert page.status_code == 200 and b"discharge date" in page.content


def test_pages_refuse_a_user_without_a_role(db):
    nobody = UserFactory(username="nobody2", facilities=[FacilityFactory()])
    assert web_client(nobody).get(reverse("coding:edit-catalog")).status_code == 403


def test_the_check_page_names_the_bad_line(coder):
    page = web_client(coder).post(
        reverse("coding:edit-check"),
        {"discharge_date": "2026-03-10", "age": "70", "services": "99213\n96372 xabc > 1"},
    )
    assert page.status_code == 200 and b"services: line 2: units" in page.content
