"""Policy contracts of the chart's models: identifiers, encounters, providers."""

from __future__ import annotations

from him.testing.mixins import PolicyContract, results
from him.testing.personas import api_client, web_client
from records.models import Encounter, PatientIdentifier, Provider
from tests.records.chart_factories import (
    EncounterFactory,
    IdentifierFactory,
    PatientFactory,
    ProviderFactory,
    SystemFactory,
)


class TestIdentifierContract(PolicyContract):
    model = PatientIdentifier
    api_list_url = "/api/v1/records/identifiers/"
    facility_field = "patient__facility"

    def make(self, facility):
        return IdentifierFactory(patient=PatientFactory(facility=facility))

    def api_detail_url(self, obj):
        return f"{self.api_list_url}{obj.pk}/"

    def create_payload(self, facility):
        patient = PatientFactory(facility=facility)
        return {"patient": patient.enterprise_id, "system": SystemFactory().code, "value": "N-1"}

    def update_payload(self, obj):
        return {"value": f"{obj.value}-X"}

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}


class TestEncounterContract(PolicyContract):
    model = Encounter
    list_url = "/records/encounters/"
    create_url = "/records/encounters/add/"
    api_list_url = "/api/v1/records/encounters/"

    def make(self, facility):
        return EncounterFactory(facility=facility, patient=PatientFactory(facility=facility))

    def detail_url(self, obj):
        return f"/records/encounters/{obj.public_id}/"

    def update_url(self, obj):
        return f"/records/encounters/{obj.public_id}/edit/"

    def api_detail_url(self, obj):
        return f"{self.api_list_url}{obj.public_id}/"

    def create_payload(self, facility):
        patient = PatientFactory(facility=facility)
        return {
            "patient": patient.enterprise_id,
            "facility": facility.code,
            "number": "NEW-V1",
            "encounter_class": "outpatient",
            "admit_at": "2024-03-01T09:00:00Z",
        }

    def update_payload(self, obj):
        return {"service_line": "Cardiology"}

    def form_data(self, facility, obj=None):
        if obj is None:
            patient = PatientFactory(facility=facility)
            number, ref = "NEW-V1", patient.enterprise_id
        else:
            number, ref = obj.number, obj.patient.enterprise_id
        return {
            "patient_ref": ref,
            "facility": facility.pk,
            "number": number,
            "encounter_class": "outpatient",
            "admit_at": "2024-03-01T09:00",
            "admit_source": "1",
            "service_line": "Cardiology",
            "status": "admitted",
        }

    def search_params(self, obj):
        return {"patient": obj.patient.enterprise_id}


class TestProviderContract(PolicyContract):
    """Providers are not PHI: no facility scope, only the model permissions."""

    model = Provider
    list_url = "/records/providers/"
    api_list_url = "/api/v1/records/providers/"

    def make(self, facility):
        return ProviderFactory()

    def detail_url(self, obj):
        return f"/records/providers/{obj.npi}/"

    # No facility scope: "outside" providers are everyone's. These replace the
    # contract's out-of-scope checks with what holds for providers.
    def test_list_shows_in_scope_only_and_trails_what_was_shown(self, personas, inside, outside):
        response = web_client(personas.outsider).get(self.list_url)
        assert response.status_code == 200
        assert {p.pk for p in response.context["object_list"]} == {inside.pk, outside.pk}

    def test_api_list_shows_in_scope_only_and_trails_what_was_shown(self, personas, inside):
        response = api_client(personas.outsider).get(self.api_list_url)
        assert response.status_code == 200
        assert [row["npi"] for row in results(response)] == [inside.npi]

    def test_detail_out_of_scope_is_404_and_trailed(self, personas, outside):
        assert web_client(personas.outsider).get(self.detail_url(outside)).status_code == 200
