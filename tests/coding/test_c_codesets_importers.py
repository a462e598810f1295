"""Importers of the files a site owns: HCPCS, CPT, modifiers, NCCI PTP and MUE;
and the packaged ICD-10-PCS and MS-DRG tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from c_codesets_support import (
    CPT_TAB,
    HCPCS_CSV,
    HCPCS_FIXED,
    MODIFIERS_CSV,
    MUE,
    NCCI_PTP,
    hcpcs_record,
    request,
)

from coding.models import Code, CodeSet, CodeSystem, Drg, MueLimit, NcciPair
from coding.services import codesets
from him.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_hcpcs_fixed_width_codes_continuations_and_modifiers():
    hcpcs, modifiers = codesets.run_import("hcpcs", request(HCPCS_FIXED, "HCPC2026_JAN_ANWEB.txt"))
    assert hcpcs.system == CodeSystem.HCPCS and modifiers.system == CodeSystem.MODIFIER
    a0021 = Code.objects.get(code_set=hcpcs, code="A0021")
    assert a0021.title == "Ambulance service, outside state per mile, transport (Medicaid only)"
    assert a0021.flags["short"] == "Outside state ambulance serv"
    assert a0021.flags["added"] == "1990-01-01" and a0021.billable
    j9999 = Code.objects.get(code_set=hcpcs, code="J9999")
    assert j9999.flags["terminated"] == "2024-12-31" and not j9999.billable
    assert set(Code.objects.filter(code_set=modifiers).values_list("code", flat=True)) == {
        "GA",
        "25",
    }
    assert (
        hcpcs.item_count == 3
        and hcpcs.source == "HCPC2026_JAN_ANWEB.txt"
        and len(hcpcs.source_sha256) == 64
    )
    assert AccessEvent.objects.filter(
        object_type="coding.codeset", object_id=str(hcpcs.pk), action="create"
    ).exists()


def test_hcpcs_title_lines_before_the_first_record_are_skipped():
    text = "HCPCS 2026 CONTRACTOR FILE\nRECORD LAYOUT SEE HCPC2026_recordlayout.txt\n" + HCPCS_FIXED
    hcpcs, _modifiers = codesets.run_import("hcpcs", request(text))
    assert hcpcs.item_count == 3


def test_hcpcs_csv_variant_and_reload_replaces():
    (first, _mods) = codesets.run_import("hcpcs", request(HCPCS_CSV, "hcpcs.csv"))
    assert Code.objects.get(code_set=first, code="A0021").title.endswith("(Medicaid only)")
    (again, _mods) = codesets.run_import("hcpcs", request(HCPCS_FIXED, "hcpcs.txt"))
    assert again.pk == first.pk
    assert Code.objects.filter(code_set=again).count() == 3
    assert CodeSet.objects.filter(system=CodeSystem.HCPCS).count() == 1


def test_hcpcs_bad_lines_are_named_and_nothing_is_loaded():
    bad = (
        HCPCS_FIXED
        + hcpcs_record("ZZ", "3", "not a code")
        + "\n"
        + hcpcs_record("A0022", "5", "x")
        + "\n"
    )
    with pytest.raises(codesets.CodeSetError) as caught:
        codesets.run_import("hcpcs", request(bad))
    message = str(caught.value)
    assert "line 7" in message and "'ZZ' is not an HCPCS code" in message
    assert "line 8" in message and "record identification '5'" in message
    assert "Nothing was loaded" in message
    assert not CodeSet.objects.filter(system=CodeSystem.HCPCS).exists()
    assert AccessEvent.objects.filter(object_type="coding.codeset", outcome="failure").exists()


def test_bad_dates_and_bad_version_are_refused():
    bad = hcpcs_record("A0021", "3", "Ambulance", added="2026XX01")
    with pytest.raises(codesets.CodeSetError, match="added date '2026XX01' is not a date"):
        codesets.run_import("hcpcs", request(bad))
    with pytest.raises(codesets.CodeSetError, match="ends .* before it starts"):
        codesets.run_import(
            "cpt",
            request(CPT_TAB, effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2025, 1, 1)),
        )
    with pytest.raises(codesets.CodeSetError, match="Give the version"):
        codesets.run_import("cpt", request(CPT_TAB, version=" "))


def test_cpt_tab_delimited_and_csv():
    (cpt,) = codesets.run_import("cpt", request(CPT_TAB, "LONGULT.txt"))
    assert cpt.system == CodeSystem.CPT and cpt.item_count == 3
    assert (
        Code.objects.get(code_set=cpt, code="0001U").title
        == "Synthetic laboratory analysis descriptor"
    )
    csv_file = "Concept Id,CPT Code,Long Descriptor\n1,99901,Synthetic descriptor\n"
    (again,) = codesets.run_import("cpt", request(csv_file, "cpt.csv"))
    assert again.pk == cpt.pk and again.item_count == 1


def test_cpt_bad_line():
    with pytest.raises(codesets.CodeSetError, match=r"line 2: '9990' is not a CPT code"):
        codesets.run_import("cpt", request("99901\tOk\n9990\tToo short\n"))
    with pytest.raises(codesets.CodeSetError, match="no descriptor"):
        codesets.run_import("cpt", request("99901\t\n"))


def test_modifiers_csv():
    (mods,) = codesets.run_import("modifiers", request(MODIFIERS_CSV, "modifiers.csv"))
    assert set(Code.objects.filter(code_set=mods).values_list("code", flat=True)) == {
        "25",
        "59",
        "XS",
    }
    with pytest.raises(codesets.CodeSetError, match="'ABC' is not a modifier"):
        codesets.run_import("modifiers", request("code,descriptor\nABC,bad\n"))


def test_ncci_ptp_practitioner_and_hospital_replace_their_own_rows():
    (ptp,) = codesets.run_import(
        "ncci_ptp", request(NCCI_PTP, "ccipra.txt", version="2026Q1"), setting="practitioner"
    )
    assert NcciPair.objects.filter(code_set=ptp, setting="practitioner").count() == 3
    pair = NcciPair.objects.get(code_set=ptp, column1="99901", column2="36415")
    assert (
        pair.modifier_indicator == "1"
        and pair.effective_from == dt.date(2025, 1, 1)
        and pair.effective_to is None
    )
    deleted = NcciPair.objects.get(code_set=ptp, column1="99902")
    assert deleted.effective_to == dt.date(2024, 12, 31) and deleted.modifier_indicator == "9"
    (same,) = codesets.run_import(
        "ncci_ptp", request(NCCI_PTP, "ccioph.txt", version="2026Q1"), setting="hospital"
    )
    assert same.pk == ptp.pk and same.item_count == 6
    codesets.run_import(
        "ncci_ptp", request(NCCI_PTP, "ccipra.txt", version="2026Q1"), setting="practitioner"
    )
    assert NcciPair.objects.filter(code_set=ptp).count() == 6


def test_ncci_ptp_bad_lines():
    bad = NCCI_PTP + "99901\t99903\t\t20250101\t*\t7\tx\n99901\t99904\t\t2025-13-45\t*\t0\tx\n"
    with pytest.raises(codesets.CodeSetError) as caught:
        codesets.run_import("ncci_ptp", request(bad, version="2026Q1"), setting="practitioner")
    assert "modifier indicator '7' is not 0, 1 or 9" in str(caught.value)
    assert "effective date '2025-13-45' is not a date" in str(caught.value)
    assert not NcciPair.objects.exists()
    with pytest.raises(codesets.CodeSetError, match="setting 'clinic' is not one of"):
        codesets.run_import("ncci_ptp", request(NCCI_PTP, version="2026Q1"), setting="clinic")
    with pytest.raises(codesets.CodeSetError, match="No procedure-to-procedure rows"):
        codesets.run_import(
            "ncci_ptp", request("just a notice\n", version="2026Q1"), setting="hospital"
        )


def test_mue_import_and_bad_units():
    (mue,) = codesets.run_import(
        "mue",
        request(MUE, "MCR_MUE_PractitionerServices.csv", version="2026Q1"),
        setting="practitioner",
    )
    limit = MueLimit.objects.get(code_set=mue, code="36415")
    assert limit.units == 2 and limit.adjudication_indicator.startswith("3 Date of Service")
    assert mue.item_count == 3
    with pytest.raises(codesets.CodeSetError, match="MUE value for 99902 is not a whole number"):
        codesets.run_import(
            "mue", request(MUE + "99902,two,1 Line Edit,x\n", version="2026Q1"), setting="dme"
        )


def test_a_binary_file_gets_a_clear_message():
    with pytest.raises(codesets.CodeSetError):
        codesets.run_import("cpt", request(b"\x00\x01\xff\xfe" * 10))


def test_icd10pcs_titles_from_the_drg_package():
    cs = codesets.load_icd10pcs(only=["0DT"])
    assert cs.system == CodeSystem.ICD10PCS and cs.item_count > 10
    code = Code.objects.filter(code_set=cs, code__startswith="0DTJ").first()
    assert code is not None and code.billable and code.title.startswith("Resection")
    assert codesets.load_icd10pcs(only=["0DT"], skip_if_loaded=True).loaded_at == cs.loaded_at


def test_msdrg_v43_table():
    cs = codesets.load_msdrg()
    assert cs.system == CodeSystem.MSDRG and cs.version == "v43" and cs.item_count > 700
    drg = Drg.objects.get(code_set=cs, drg="001")
    assert drg.mdc == "PRE" and drg.type == "SURG" and drg.title.startswith("HEART TRANSPLANT")
    assert (
        drg.weight == Decimal("28.0239")
        and drg.gmlos == Decimal("25.8")
        and drg.amlos == Decimal("36.2")
    )
    ungroupable = Drg.objects.get(code_set=cs, drg="999")
    assert ungroupable.weight is None and ungroupable.type == ""
    assert Drg.objects.filter(code_set=cs, type="MED").exists()
    codesets.load_msdrg()
    assert Drg.objects.filter(code_set=cs).count() == cs.item_count
