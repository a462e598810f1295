"""seed_synthetic: realistic, valid, deterministic, and safe to run twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from records import hooks, synthetic
from records.models import (
    Document,
    DocumentVersion,
    Encounter,
    IdentifierSystem,
    Patient,
    PatientIdentifier,
    Provider,
)
from records.models.providers import npi_is_valid
from records.search import normalize, phonetic_key

pytestmark = pytest.mark.django_db


def shape(patients) -> list[tuple]:
    return [(p.family_name, p.given_name, p.birth_date, p.sex, p.facility.code) for p in patients]


def seed_twice():
    call_command("seed_synthetic", patients=200, seed=1, verbosity=0)
    first = list(Patient.objects.order_by("pk").select_related("facility"))
    counts = (Encounter.objects.count(), Document.objects.count())
    call_command("seed_synthetic", patients=200, seed=1, verbosity=0)
    second = list(
        Patient.objects.exclude(pk__in=[p.pk for p in first])
        .order_by("pk")
        .select_related("facility")
    )
    return first, second, counts


def test_running_twice_adds_the_same_shape_without_clashes():
    first, second, (encounters, documents) = seed_twice()
    assert len(first) == len(second) == 200
    assert shape(first) == shape(second)
    assert Encounter.objects.count() == 2 * encounters
    assert Document.objects.count() == 2 * documents
    # Every unique value stayed unique across both runs.
    assert Patient.objects.values("enterprise_id").distinct().count() == 400
    assert not Patient.objects.values("facility", "mrn").annotate(n=Count("pk")).filter(n__gt=1)
    assert (
        not PatientIdentifier.objects.values("system", "value")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert (
        not Encounter.objects.values("facility", "number").annotate(n=Count("pk")).filter(n__gt=1)
    )


def test_records_are_valid_and_varied():
    call_command("seed_synthetic", patients=200, seed=1, facilities=3, verbosity=0)
    patients = Patient.objects.all()
    assert patients.count() == 200
    assert patients.values("facility").distinct().count() == 3
    assert all(npi_is_valid(npi) for npi in Provider.objects.values_list("npi", flat=True))
    # Every patient has an MRN identifier in its facility's system, matching the chart MRN.
    for patient in patients.prefetch_related("identifiers__system")[:50]:
        mrns = [i for i in patient.identifiers.all() if i.system.kind == "mrn"]
        assert [i.value for i in mrns] == [patient.mrn]
        assert mrns[0].system.code == f"MRN-{patient.facility.code}"
    assert IdentifierSystem.objects.filter(kind="insurance").count() == len(synthetic.PAYERS)
    assert PatientIdentifier.objects.filter(system__kind="insurance").exists()
    # Search keys are filled as save() would fill them.
    for p in patients[:50]:
        assert (p.family_norm, p.family_key) == (
            normalize(p.family_name),
            phonetic_key(p.family_name),
        )
        assert p.given_key == phonetic_key(p.given_name)
    # Synthetic markers: 9xx SSNs, example.org emails, fiction-range phones.
    with_ssn = patients.exclude(ssn_encrypted="")
    assert with_ssn.exists()
    assert all(p.ssn().startswith("9") for p in with_ssn[:20])
    assert all(p.email.endswith("@example.org") for p in patients.exclude(email=""))
    assert all("555-01" in p.phone for p in patients)
    assert patients.filter(confidentiality="restricted").exclude(restriction_reason="").exists()
    assert not patients.filter(confidentiality="restricted", restriction_reason="").exists()


def test_encounters_and_documents_are_plausible():
    call_command("seed_synthetic", patients=200, seed=1, verbosity=0)
    encounters = Encounter.objects.all()
    assert not encounters.filter(discharge_at__lt=F("admit_at")).exists()
    assert set(encounters.values_list("encounter_class", flat=True)) == set(Encounter.Class.values)
    for e in encounters.filter(encounter_class="outpatient", discharge_at__isnull=False)[:50]:
        assert e.length_of_stay_days == 0 or e.discharge_at.date() > e.admit_at.date()
        assert (e.discharge_at - e.admit_at).total_seconds() < 6 * 3600
    inpatient = encounters.filter(encounter_class="inpatient", discharge_at__isnull=False)
    stays = [e.length_of_stay_days for e in inpatient]
    assert stays and min(stays) >= 0 and max(stays) <= 31
    assert inpatient.exclude(discharge_disposition="").count() == inpatient.count()
    assert encounters.filter(surgery_at__isnull=False).exists()
    assert not encounters.filter(attending__isnull=True).exists()

    documents = Document.objects.all()
    assert documents.filter(sensitivity__gt=0).exists()
    assert documents.filter(status="signed").exists()
    assert documents.filter(status="pending_signature").exists()
    assert documents.values("doc_type").distinct().count() >= 8
    # The current version is the latest; a signed document's current version is signed.
    for d in documents.select_related("current_version")[:200]:
        assert d.current_version.document_id == d.pk
        assert d.current_version.number == d.versions.count()
        assert d.current_version.text
        if d.status == "signed":
            assert d.current_version.signed_at is not None
    assert DocumentVersion.objects.filter(number=2).exclude(reason="").exists()
    # Discharge summaries and operative reports are dated by discharge and surgery.
    op = documents.filter(doc_type="operative").select_related("encounter").first()
    assert op is None or op.service_date == op.encounter.surgery_at.date()


def test_seeding_fires_the_bulk_hook_once(monkeypatch):
    calls = []
    monkeypatch.setitem(hooks._handlers, hooks.SYNTHETIC_SEEDED, [lambda **kw: calls.append(kw)])
    call_command("seed_synthetic", patients=20, seed=5, verbosity=0)
    assert len(calls) == 1
    kwargs = calls[0]
    assert sorted(kwargs["facility_ids"]) == sorted(
        Patient.objects.order_by().values_list("facility", flat=True).distinct()
    )
    first, last = kwargs["encounter_ids"]
    assert Encounter.objects.filter(created_at__gte=kwargs["since"]).count() == last - first + 1


def test_small_seed_for_make_run_targets_the_demo_facilities_once():
    from him.models import Facility

    Facility.objects.create(code="MAIN", name="Main")
    Facility.objects.create(code="NORTH", name="North")
    result = synthetic.seed_small(patients_per_facility=10)
    assert result is not None and result.patients == 20
    assert synthetic.seed_small(patients_per_facility=10) is None
    assert Patient.objects.count() == 20


def test_bad_arguments_are_clear():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--facilities"):
        call_command("seed_synthetic", patients=10, facilities=0, verbosity=0)


def test_enterprise_ids_are_unique_and_npis_valid_over_a_range():
    ids = {synthetic.enterprise_id_for(n) for n in range(1, 50_001)}
    assert len(ids) == 50_000
    assert all(len(i) == 10 and i.startswith("E") for i in list(ids)[:100])
    assert all(npi_is_valid(synthetic.npi_for(b)) for b in range(170_000_000, 170_000_200))
