"""Generic permission and trail checks for the authfees models (him.testing.PolicyContract)."""

from __future__ import annotations

import datetime as dt

from r_authfees_support import TODAY, complete_authorization, make_request

from him import roles
from him.testing.mixins import PolicyContract
from release_of_info.models import Authorization, FeeSchedule, Requester

AUTH_API = "/api/v1/roi/authorizations/"
FEE_API = "/api/v1/roi/fee-schedules/"


class TestAuthorizationContract(PolicyContract):
    model = Authorization
    writer_role = roles.ROI_SPECIALIST
    reader_role = roles.AUDITOR
    facility_field = "request__facility"
    api_list_url = AUTH_API

    def make(self, facility):
        return complete_authorization(make_request(facility))

    def detail_url(self, obj):
        return f"/roi/authorizations/{obj.public_id}/"

    def update_url(self, obj):
        return f"/roi/authorizations/{obj.public_id}/edit/"

    def api_detail_url(self, obj):
        return f"{AUTH_API}{obj.public_id}/"

    def create_payload(self, facility):
        roi = make_request(facility)
        return {
            "request": str(roi.public_id),
            "description": "All records of 2026",
            "disclosing_party": "In-scope Hospital",
            "recipient_name": roi.requester.name,
            "purpose": "legal",
            "expires_on": (TODAY + dt.timedelta(days=60)).isoformat(),
            "signed_by_name": "Nora Authfam",
            "signed_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "states_right_to_revoke": True,
            "states_conditioning": True,
            "states_redisclosure": True,
        }

    def update_payload(self, obj):
        return {"description": "Discharge summaries only"}

    def form_data(self, facility, obj=None):
        if obj is None:
            return None
        return {
            "kind": "standard",
            "description": "Changed description of the information",
            "disclosing_party": "In-scope Hospital",
            "recipient_name": obj.recipient_name,
            "purpose": obj.purpose,
            "expires_on": obj.expires_on.isoformat(),
            "signed_by_name": obj.signed_by_name,
            "signed_on": obj.signed_on.isoformat(),
            "states_right_to_revoke": "on",
            "states_conditioning": "on",
            "states_redisclosure": "on",
        }


class TestFeeScheduleContract(PolicyContract):
    model = FeeSchedule
    writer_role = roles.HIM_MANAGER
    reader_role = roles.ROI_SPECIALIST
    list_url = "/roi/fees/"
    create_url = "/roi/fees/schedules/new/"
    api_list_url = FEE_API

    def make(self, facility):
        return FeeSchedule.objects.create(
            facility=facility, requester_type=Requester.Type.ATTORNEY, per_page="0.50"
        )

    def update_url(self, obj):
        return f"/roi/fees/schedules/{obj.public_id}/edit/"

    def delete_url(self, obj):
        return f"/roi/fees/schedules/{obj.public_id}/delete/"

    def api_detail_url(self, obj):
        return f"{FEE_API}{obj.public_id}/"

    def create_payload(self, facility):
        return {"facility": facility.code, "requester_type": "payer", "per_page": "0.25"}

    def update_payload(self, obj):
        return {"base_fee": "12.00"}

    def form_data(self, facility, obj=None):
        return {
            "facility": facility.pk,
            "requester_type": obj.requester_type if obj else "payer",
            "base_fee": "9.00",
            "per_page": "0.25",
            "postage": "1.00",
            "active": "on",
            "tiers_text": "",
        }
