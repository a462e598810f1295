"""The generic permission and trail contract for the workspace page."""

from __future__ import annotations

from coding_factories import encounter, patient
from django.urls import reverse

from coding.models import EncounterCoding
from coding.services.encounters import coding_for
from him import roles
from him.testing.mixins import PolicyContract


class TestWorkspacePage(PolicyContract):
    model = EncounterCoding
    writer_role = roles.CODER
    reader_role = roles.AUDITOR

    def make(self, facility):
        return coding_for(encounter(patient(facility)))

    def ref(self, obj) -> str:
        return str(obj.public_id)

    def detail_url(self, obj):
        return reverse("coding:workspace", kwargs={"public_id": obj.public_id})
