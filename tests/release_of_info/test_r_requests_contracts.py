"""The generic policy contract for requests and requesters (screens and API), the letters'
download through the policy and the trail, identity verification, facility settings,
request page panels rendered generically."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from r_requests_support import (
    TODAY,
    RequesterFactory,
    RoiPatientFactory,
    make_request,
    pdf_text,
    squash,
)

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract, error_message, results
from him.testing.personas import api_client, web_client
from him.trail import Action, Outcome
from release_of_info import panels
from release_of_info.models import Requester, ROIRequest
from release_of_info.models.requests import RequestLetter, ROIFacilitySettings
from release_of_info.services import requests as services

LIST = "/roi/requests/"
API = "/api/v1/roi/requests/"


class TestROIRequestContract(PolicyContract):
    model = ROIRequest
    writer_role = roles.ROI_SPECIALIST
    reader_role = roles.AUDITOR
    list_url = LIST
    create_url = "/roi/requests/add/"
    api_list_url = API

    def make(self, facility):
        return make_request(facility=facility)

    def detail_url(self, obj):
        return f"{LIST}{obj.public_id}/"

    def update_url(self, obj):
        return f"{LIST}{obj.public_id}/edit/"

    def api_detail_url(self, obj):
        return f"{API}{obj.public_id}/"

    def create_payload(self, facility):
        patient = RoiPatientFactory(facility=facility)
        return {
            "patient": patient.enterprise_id,
            "requester": str(RequesterFactory().public_id),
            "received_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "purpose": "legal",
        }

    def update_payload(self, obj):
        return {"purpose_detail": "Personal injury claim", "format": "paper"}

    def form_data(self, facility, obj=None):
        if obj is not None:
            return {
                "requester": str(obj.requester.public_id),
                "received_on": obj.received_on.isoformat(),
                "purpose": obj.purpose,
                "purpose_detail": "Corrected detail",
                "format": "paper",
                "delivery": obj.delivery,
            }
        payload = self.create_payload(facility)
        return {**payload, "format": "electronic", "delivery": "secure_link"}

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}


class TestRequesterContract(PolicyContract):
    """Requesters are not PHI: no facility scope, only the model permissions."""

    model = Requester
    writer_role = roles.ROI_SPECIALIST
    reader_role = roles.AUDITOR
    list_url = "/roi/requesters/"
    create_url = "/roi/requesters/add/"
    api_list_url = "/api/v1/roi/requesters/"

    def make(self, facility):
        return RequesterFactory(name=f"Firm of {facility.code}")

    def detail_url(self, obj):
        return f"/roi/requesters/{obj.public_id}/"

    def update_url(self, obj):
        return f"/roi/requesters/{obj.public_id}/edit/"

    def api_detail_url(self, obj):
        return f"/api/v1/roi/requesters/{obj.public_id}/"

    def update_payload(self, obj):
        return {"phone": "555-0142"}

    def form_data(self, facility, obj=None):
        return {
            "name": obj.name if obj else "New Firm",
            "type": "attorney",
            "phone": "555-0100",
        }

    # No facility scope: "outside" requesters are everyone's. These replace the
    # contract's out-of-scope checks with what holds for requesters.
    def test_list_shows_in_scope_only_and_trails_what_was_shown(self, personas, inside, outside):
        response = web_client(personas.outsider).get(self.list_url)
        assert {r.pk for r in response.context["object_list"]} == {inside.pk, outside.pk}

    def test_api_list_shows_in_scope_only_and_trails_what_was_shown(self, personas, inside):
        response = api_client(personas.writer).get(self.api_list_url)
        assert [row["name"] for row in results(response)] == [inside.name]

    def test_detail_out_of_scope_is_404_and_trailed(self, personas, outside):
        assert web_client(personas.writer).get(self.detail_url(outside)).status_code == 200

    def test_api_detail_out_of_scope_is_404_like_a_record_that_never_existed(self):
        pytest.skip("requesters have no facility scope")

    def test_writes_to_an_object_out_of_scope_are_404(self):
        pytest.skip("requesters have no facility scope")

    def test_search_writes_one_search_row_with_the_criteria(self, personas, inside, trail_watch):
        response = web_client(personas.writer).get(self.list_url, {"q": inside.name})
        assert response.status_code == 200
        row = trail_watch.one(action=Action.SEARCH, object_type=self.label())
        assert orjson.loads(row.detail)["shown"] == [str(inside.public_id)]

    def test_api_create_writes_a_create_row(self, personas, trail_watch):
        response = api_client(personas.writer).post(
            self.api_list_url, {"name": "Created Co", "type": "payer"}, format="json"
        )
        assert response.status_code == 201, response.content
        row = trail_watch.one(action=Action.CREATE, object_type=self.label())
        assert row.object_id == response.json()["public_id"]

    def test_html_create_writes_a_create_row(self, personas, trail_watch):
        response = web_client(personas.writer).post(self.create_url, self.form_data(None))
        assert response.status_code == 302
        obj = Requester.objects.get(name="New Firm")
        assert trail_watch.one(action=Action.CREATE).object_id == str(obj.public_id)


@pytest.mark.django_db
def test_a_requester_with_requests_cannot_be_deleted(personas):
    from django.contrib.auth.models import Permission

    roi = make_request(facility=personas.facility)
    user = personas.writer
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="release_of_info",
            codename__in=["view_requester", "delete_requester"],
        )
    )
    response = api_client(user).delete(f"/api/v1/roi/requesters/{roi.requester.public_id}/")
    assert response.status_code == 400
    assert "cannot be deleted" in error_message(response)
    assert Requester.objects.filter(pk=roi.requester_id).exists()


# Letters through the policy ------------------------------------------------------------------


@pytest.fixture
def specialist(personas):
    return UserFactory(
        username="rita", roles=[roles.ROI_SPECIALIST], facilities=[personas.facility]
    )


@pytest.mark.django_db
def test_extension_on_the_page_then_the_letter_download_is_trailed(
    personas, specialist, trail_watch
):
    roi = make_request(facility=personas.facility)
    client = web_client(specialist)
    new_due = roi.due_on + dt.timedelta(days=20)
    response = client.post(
        f"{LIST}{roi.public_id}/do/extend/",
        {"extend-new_due_on": new_due.isoformat(), "extend-reason": "Awaiting the archive."},
    )
    assert response.status_code == 302
    letter = RequestLetter.objects.get(roi=roi)
    page = client.get(f"{LIST}{roi.public_id}/").content.decode()
    assert f"/roi/letters/{letter.public_id}.pdf" in page
    trail_watch.mark()
    download = client.get(f"/roi/letters/{letter.public_id}.pdf")
    assert download.status_code == 200
    assert "Awaiting the archive." in squash(pdf_text(b"".join(download.streaming_content)))
    row = trail_watch.one(action=Action.EXPORT)
    assert row.object_id == str(roi.public_id) and row.patient_id == roi.patient_id
    # Someone at another facility: not found, and trailed as such.
    outsider = UserFactory(
        username="far", roles=[roles.ROI_SPECIALIST], facilities=[personas.other_facility]
    )
    trail_watch.mark()
    assert web_client(outsider).get(f"/roi/letters/{letter.public_id}.pdf").status_code == 404
    assert trail_watch.one(object_type="release_of_info.requestletter").outcome == (
        Outcome.NOT_FOUND
    )
    api = api_client(outsider).get(f"/api/v1/roi/letters/{letter.public_id}/download/")
    assert api.status_code == 404


@pytest.mark.django_db
def test_extension_on_the_page_after_the_due_date_shows_the_reason(personas, specialist):
    roi = make_request(facility=personas.facility, received_on=TODAY - dt.timedelta(days=35))
    response = web_client(specialist).post(
        f"{LIST}{roi.public_id}/do/extend/",
        {
            "extend-new_due_on": (roi.due_on + dt.timedelta(days=20)).isoformat(),
            "extend-reason": "Late.",
        },
    )
    assert response.status_code == 200
    assert "can no longer be extended" in response.content.decode()
    assert not RequestLetter.objects.exists()


@pytest.mark.django_db
def test_api_extension_refusals_are_clear(personas, specialist):
    roi = make_request(facility=personas.facility)
    url = f"{API}{roi.public_id}/extend/"
    client = api_client(specialist)
    too_far = (roi.due_on + dt.timedelta(days=31)).isoformat()
    response = client.post(url, {"new_due_on": too_far, "reason": "Archive."}, format="json")
    assert response.status_code == 400
    assert "at most 30 days" in error_message(response)
    ok = (roi.due_on + dt.timedelta(days=30)).isoformat()
    response = client.post(url, {"new_due_on": ok, "reason": "Archive."}, format="json")
    assert response.status_code == 200
    assert response.json()["deadline"] == ok
    response = client.post(url, {"new_due_on": ok, "reason": "Again."}, format="json")
    assert response.status_code == 400
    assert "only one extension" in error_message(response)


# Identity verification -----------------------------------------------------------------------


@pytest.mark.django_db
def test_identity_verification_is_recorded_and_gates_release(personas, specialist):
    from release_of_info import hooks

    patient_requester = RequesterFactory(type=Requester.Type.PATIENT)
    roi = make_request(
        facility=personas.facility,
        requester=patient_requester,
        purpose=ROIRequest.Purpose.PERSONAL,
    )
    assert services.needs_identity_verification(roi)
    assert any("identity" in p for p in hooks.collect(hooks.RELEASE_CHECKS, request=roi))
    client = web_client(specialist)
    page = client.get(f"{LIST}{roi.public_id}/").content.decode()
    assert "Not yet verified" in page
    response = client.post(f"{LIST}{roi.public_id}/do/identity/", {"identity-method": ""})
    assert response.status_code == 200
    response = api_client(specialist).post(
        f"{API}{roi.public_id}/verify-identity/",
        {"method": "State driver licence seen at the desk"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["identity_verified_by"] == "rita"
    assert body["identity_method"] == "State driver licence seen at the desk"
    roi.refresh_from_db()
    assert not [p for p in hooks.collect(hooks.RELEASE_CHECKS, request=roi) if "identity" in p]


# Facility settings ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_sets_the_facility_limit_and_the_specialist_cannot(personas, specialist):
    manager = personas.privileged(roles.HIM_MANAGER)
    data = {
        "facility": personas.facility.code,
        f"{personas.facility.code}-due_days": "14",
        f"{personas.facility.code}-legal_basis": "State records access act, 14 days",
    }
    assert web_client(specialist).post("/roi/settings/", data).status_code == 403
    assert web_client(specialist).get("/roi/settings/").status_code == 200
    response = web_client(manager).post("/roi/settings/", data)
    assert response.status_code == 302
    assert ROIFacilitySettings.objects.get(facility=personas.facility).due_days == 14
    bad = web_client(manager).post(
        "/roi/settings/", {**data, f"{personas.facility.code}-due_days": "60"}
    )
    assert bad.status_code == 200
    assert ROIFacilitySettings.objects.get(facility=personas.facility).due_days == 14
    # A facility outside the manager's grants is not found.
    other = web_client(manager).post("/roi/settings/", {**data, "facility": "OTHER"})
    assert other.status_code == 404


# Panels ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_page_renders_registered_panels_the_user_may_see(
    personas, specialist, monkeypatch, tmp_path, settings
):
    template_dir = tmp_path / "tpl"
    (template_dir / "fake").mkdir(parents=True)
    (template_dir / "fake" / "panel.html").write_text(
        "<p>Panel for {{ roi.number }}: {{ greeting }}</p>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}
    ]
    monkeypatch.setattr(panels, "_panels", dict(panels._panels))
    panels.register(
        panels.Panel(
            key="fake",
            title="Fake checklist",
            template="fake/panel.html",
            permission="release_of_info.view_roirequest",
            context=lambda request, roi: {"greeting": "hello"},
        )
    )
    panels.register(
        panels.Panel(
            key="secret",
            title="Fee schedule secrets",
            template="fake/panel.html",
            permission="release_of_info.manage_fees",
            context=lambda request, roi: {"greeting": "hidden"},
        )
    )
    roi = make_request(facility=personas.facility)
    html = web_client(specialist).get(f"{LIST}{roi.public_id}/").content.decode()
    assert "Fake checklist" in html
    assert f"Panel for {roi.number}: hello" in html
    assert "Fee schedule secrets" not in html


@pytest.mark.django_db
def test_letters_api_lists_only_reachable_letters(personas, specialist, trail_watch):
    from release_of_info.services.status import roi_request_set_status

    inside = make_request(facility=personas.facility)
    outside = make_request(facility=personas.other_facility)
    for roi in (inside, outside):
        roi_request_set_status(roi=roi, status="denied", user=None, reason="Not signed.")
    client = api_client(specialist)
    response = client.get("/api/v1/roi/letters/")
    assert response.status_code == 200
    rows = results(response)
    assert [(r["number"], r["letter_kind"]) for r in rows] == [(inside.number, "denial")]
    response = client.get("/api/v1/roi/letters/", {"request": str(outside.public_id)})
    assert results(response) == []
    letter = RequestLetter.objects.get(roi=inside)
    trail_watch.mark()
    download = client.get(f"/api/v1/roi/letters/{letter.public_id}/download/")
    assert download.status_code == 200
    assert "Not signed." in squash(pdf_text(b"".join(download.streaming_content)))
    assert trail_watch.one(action=Action.EXPORT).object_id == str(inside.public_id)
    # A role without the letters permission (HIM technician) is refused.
    assert api_client(personas.writer).get("/api/v1/roi/letters/").status_code == 403
