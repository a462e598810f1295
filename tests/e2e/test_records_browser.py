"""End to end in a real browser: a technician finds a patient despite a typo and
opens the chart; a coder breaks the glass on a restricted record."""

from __future__ import annotations

import re

import pytest
from test_browser import make_user, sign_in

from him import roles
from him.models import AccessEvent, Facility
from records.models import Patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def facility():
    return Facility.objects.create(code="MAIN", name="Main Hospital")


def _patient(facility, family, given, mrn, **fields) -> Patient:
    patient = Patient(
        facility=facility,
        mrn=mrn,
        family_name=family,
        given_name=given,
        birth_date="1961-04-02",
        **fields,
    )
    patient.set_ssn("900-12-3456")
    patient.save()
    return patient


def test_technician_finds_a_patient_despite_a_typo_and_opens_the_chart(
    live_server, new_page, facility, tmp_path
):
    make_user("tara", roles.HIM_TECHNICIAN, facility)
    patient = _patient(facility, "Kowalczyk", "Marianne", "M100001")
    page = new_page()
    sign_in(page, live_server.url, "tara")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/records/patients/?q=Kowalcyzk")  # letters swapped
    page.get_by_role("link", name=re.compile("Kowalczyk")).click()
    page.wait_for_url(re.compile(patient.enterprise_id))
    body = page.locator("main").inner_text()
    assert "***-**-3456" in body
    assert "900-12-3456" not in body
    for section in ("Demographics", "Identifiers", "Encounters", "Documents"):
        assert section in body
    page.screenshot(path=str(tmp_path / "chart.png"), full_page=True)
    assert AccessEvent.objects.filter(
        username="tara", action="read", patient_id=patient.pk
    ).exists()


def test_coder_breaks_the_glass_on_a_restricted_record(live_server, new_page, facility):
    make_user("cody", roles.CODER, facility)
    vip = _patient(
        facility,
        "Lindqvist",
        "Astrid",
        "M100002",
        confidentiality="restricted",
        restriction_reason="vip",
    )
    page = new_page()
    sign_in(page, live_server.url, "cody")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/records/patients/?q=Lindqvist")
    assert "Lindqvist" not in page.locator("main table").inner_text()
    response = page.goto(live_server.url + f"/records/patients/{vip.enterprise_id}/")
    assert response.status == 404

    page.goto(live_server.url + "/records/access/break-glass/")
    page.fill("#id_identifier", vip.enterprise_id)
    page.select_option("#id_reason_code", index=1)
    # No reason, no access: the browser will not even send the form.
    assert page.locator("#id_reason_text").get_attribute("required") is not None
    page.fill("#id_reason_text", "Patient unconscious in the ED; reconciling medications.")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(vip.enterprise_id))
    assert "Lindqvist" in page.locator("h1").inner_text()
    assert AccessEvent.objects.filter(username="cody", action="break_glass").exists()
    marked = AccessEvent.objects.filter(username="cody", action="read", patient_id=vip.pk)
    assert any("break_glass" in event.detail for event in marked)
