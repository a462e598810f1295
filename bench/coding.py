"""Benchmarks of the coding app, both in one command:

1. code search at full ICD-10-CM + ICD-10-PCS size: p50/p95 over a fixed list of
   real coder queries vs an unindexed ILIKE over the same table, same run
   (``bench/coding_search.py``; goals p95 <= 25 ms and >= 10x);
2. validate + group of a 20-code inpatient encounter through our services (claim in
   hand; with the read from the database printed apart) vs raw ``msdrg`` MCE +
   grouper calls, same run (``bench/coding_workspace.py``; goal >= 0.5x).

    python bench/coding.py                     # SQLite in temporary files
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench_coding python bench/coding.py

Each part drops and recreates the database named by DATABASE_URL (a suffix is
added per part): never point this at a real one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    failed = 0
    for part, suffix in (("coding_search.py", "_search"), ("coding_workspace.py", "_workspace")):
        env = dict(os.environ)
        if url.startswith("postgres"):
            env["DATABASE_URL"] = url + suffix
        print(f"\n######## {part} ########", flush=True)
        failed |= subprocess.call(
            [
                sys.executable,
                str(HERE / part),
            ],
            env=env,
        )
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
