"""The shared coding factories build what the parts' tests rely on."""

import datetime as dt

import pytest
from coding_factories import code_set, codes, encounter, note, patient

from coding.claim import claim_of
from coding.models import CodeSet, CodeSystem
from coding.services.encounters import coding_for
from him.testing.factories import FacilityFactory


@pytest.mark.django_db
def test_a_small_code_set_is_in_force_on_its_dates_and_a_claim_reads_it():
    cs = code_set()
    made = codes(
        cs, [("E11", "Type 2 diabetes mellitus", False), ("E119", "without complications")]
    )
    assert made["E119"].parent == made["E11"]
    ref = note(made["E11"], "excludes1", "type 1 diabetes mellitus (E10.-)", [("E10", "E10")])
    assert ref.references.get().matches("E10.9")
    assert CodeSet.for_date(CodeSystem.ICD10CM, dt.date(2026, 3, 10)) == cs
    assert CodeSet.for_date(CodeSystem.ICD10CM, dt.date(2026, 10, 1)) is None

    coding = coding_for(encounter(patient(FacilityFactory())))
    assert coding_for(coding.encounter) == coding
    claim = claim_of(coding)
    assert claim.inpatient and claim.code_set() == cs and claim.age == 76
