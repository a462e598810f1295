"""End to end in a real browser: a coder opens a discharged stay from the encounter
page, enters a principal diagnosis and a secondary that acts as an MCC, saves, and
sees the MS-DRG; the chart's documents sit beside the codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_browser import make_user, sign_in

from coding.models import EncounterCoding
from coding.services import codesets
from him import roles
from him.models import Facility
from records.models import Encounter, Patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_coder_codes_a_stay_and_sees_the_drg(live_server, new_page, tmp_path):
    codesets.load_icd10cm(only=["J18", "J96"])
    facility = Facility.objects.create(code="MAIN", name="Main Hospital")
    make_user("cora", roles.CODER, facility)
    patient = Patient.objects.create(
        facility=facility,
        mrn="W100001",
        family_name="Lindqvist",
        given_name="Ines",
        birth_date=dt.date(1948, 6, 1),
        sex="F",
    )
    encounter = Encounter.objects.create(
        number="V-W1",
        patient=patient,
        facility=facility,
        encounter_class="inpatient",
        admit_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        discharge_at=dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC),
        discharge_disposition="01",
        status="discharged",
    )
    page = new_page()
    sign_in(page, live_server.url, "cora")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/records/encounters/{encounter.public_id}/")
    page.get_by_role("link", name="Code this encounter").click()
    page.wait_for_url(re.compile("/coding/"))
    assert "No documents on this encounter" in page.locator("main").inner_text()
    page.get_by_role("button", name="Add a diagnosis").click()
    page.get_by_label("Diagnosis 1 code").fill("J18.9")
    page.get_by_label("Diagnosis 1 present on admission").select_option("Y")
    page.get_by_role("button", name="Add a diagnosis").click()
    page.get_by_label("Diagnosis 2 code").fill("J96.01")
    page.get_by_label("Diagnosis 2 present on admission").select_option("Y")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "workspace.png"), full_page=True)
    assert "193" in body  # simple pneumonia with MCC (MS-DRG v43)
    coding = EncounterCoding.objects.get(encounter=encounter)
    assert [d.code for d in coding.diagnoses.order_by("sequence")] == ["J189", "J9601"]
    assert coding.working_drg == "193"
