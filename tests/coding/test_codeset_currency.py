"""A discharge after the loaded code set's fiscal year is still checked, with a warning."""

import datetime as dt

import pytest
from coding_factories import code_set, codes

from coding import edits
from coding.claim import Claim, Dx

pytestmark = pytest.mark.django_db


def claim(discharged):
    return Claim(
        inpatient=False,
        encounter_class="outpatient",
        sex="F",
        age=50,
        admit_date=discharged,
        discharge_date=discharged,
        disposition="01",
        diagnoses=(Dx("J189"),),
    )


def test_past_the_fiscal_year_warns_and_does_not_block():
    cs = code_set(dates=(dt.date(2025, 10, 1), None))
    codes(
        cs, [("J18", "Pneumonia, unspecified organism", False), ("J189", "Pneumonia, unspecified")]
    )
    late = [e for e in edits.run(claim(dt.date(2026, 12, 1))) if e.id == "CODESET-PAST-YEAR"]
    assert len(late) == 1 and not late[0].blocks and "2026-09-30" in late[0].message
    assert not [e for e in edits.run(claim(dt.date(2026, 3, 1))) if e.id == "CODESET-PAST-YEAR"]
