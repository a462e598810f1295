"""Benchmark: the patient list/search API at scale.

Builds its own synthetic data (records.synthetic: patients spread over four
facilities, about three encounters each) in a throwaway database, then prints,
in one run:

1. Seeding rate (patients/s, rows/s).
2. Throughput of GET /api/v1/records/patients/?q=... (token auth, in-process
   Django client, trail on) for a user granted ONE facility versus a superuser
   granted all four, on the same queries. Rounds alternate the order so machine
   noise hits both arms alike. Goal: scoped / superuser >= 0.8.
3. Queries per page at page_size 10, 50 and 100 (CaptureQueriesContext): must be
   constant.
4. Search latency p50/p95 over a mix of queries (exact names, typos, MRNs,
   enterprise ids, name + birth date), against a baseline measured in the same
   run: the p95 of GET /api/v1/records/patients/<enterprise id>/ (one PHI read,
   same auth and trail).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench_records python bench/records.py
    python bench/records.py --patients 20000            # quick run, SQLite if no DATABASE_URL

The database named by DATABASE_URL is dropped and recreated: never point this at
a real one. Options: --patients, --encounters-per-patient, --documents,
--requests, --rounds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--encounters-per-patient", type=float, default=3.0)
    parser.add_argument("--documents", action="store_true", help="seed documents too (slower)")
    parser.add_argument("--facilities", type=int, default=4)
    parser.add_argument("--requests", type=int, default=300, help="search requests per arm/round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run: no drop, no seed"
    )
    return parser.parse_args()


def prepare_database(reuse: bool) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        if not reuse:
            _recreate(url)
    elif not reuse:
        tmp = Path(tempfile.mkdtemp(prefix="him-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        raise SystemExit("--reuse needs DATABASE_URL naming the earlier run's database")
    _bench_env()


def _recreate(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _bench_env() -> None:
    os.environ.setdefault("TRAIL_KEY", "bench-trail-key-not-secret")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-secret-" + "x" * 30)
    os.environ["DEBUG"] = "false"  # no query log growing over thousands of requests
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(args) -> None:
    from django.db import connection

    from records import synthetic

    print(
        f"\n== seeding {args.patients:,} patients, ~{args.encounters_per_patient:g} "
        f"encounters each{', with documents' if args.documents else ''} =="
    )
    result = synthetic.seed(
        patients=args.patients,
        seed=1,
        facilities=args.facilities,
        encounters_per_patient=args.encounters_per_patient,
        documents=args.documents,
        ssn_fraction=0.05,
        chunk=20_000,
        progress=lambda line: print(line, flush=True) if "00,000/" in line else None,
    )
    rows = result.patients + result.identifiers + result.encounters + result.documents
    rows += result.versions
    print(f"  {result.summary()}")
    print(
        f"  {result.patients / result.seconds:,.0f} patients/s, {rows / result.seconds:,.0f} rows/s"
    )
    if connection.vendor == "postgresql":
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            # Index-only scans for the candidate-name lookups need a visibility map.
            cursor.execute('VACUUM ANALYZE "records_patient"')
        print(f"  VACUUM ANALYZE records_patient: {time.perf_counter() - t0:.1f} s")


def make_users(args):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm
    from rest_framework.authtoken.models import Token

    from him.models import Facility, User

    facilities = list(Facility.objects.filter(code__startswith="SYN").order_by("code"))
    User.objects.filter(username__startswith="bench-").delete()
    scoped = User.objects.create_user("bench-scoped", password=None)
    scoped.groups.add(Group.objects.get(name="Integration"))
    assign_perm("him.access_facility", scoped, facilities[0])
    root = User.objects.create_superuser("bench-root", password=None, email="root@example.org")
    for facility in facilities:
        assign_perm("him.access_facility", root, facility)
    return (
        facilities[0],
        Token.objects.create(user=scoped).key,
        Token.objects.create(user=root).key,
    )


def swap(text: str, rng: random.Random) -> str:
    """One adjacent transposition inside the word (a typical typing slip)."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def make_queries(facility, count: int) -> tuple[list[str], list[str]]:
    from records.models import Patient

    rng = random.Random(3)
    sample = list(
        Patient.objects.filter(facility=facility, confidentiality="normal")
        .order_by("pk")
        .values_list("family_name", "given_name", "birth_date", "mrn", "enterprise_id")[:5000]
    )
    rng.shuffle(sample)
    queries = []
    kinds = [
        lambda f, g, b, m, e: f,
        lambda f, g, b, m, e: f"{g} {f}",
        lambda f, g, b, m, e: f"{f}, {g[:1]}",
        lambda f, g, b, m, e: f"{swap(g, rng)} {swap(f, rng)}",
        lambda f, g, b, m, e: swap(f, rng),
        lambda f, g, b, m, e: f"{f} {b:%Y-%m-%d}",
        lambda f, g, b, m, e: m,
        lambda f, g, b, m, e: e,
    ]
    for n in range(count):
        queries.append(kinds[n % len(kinds)](*sample[n % len(sample)]))
    details = [row[4] for row in sample[:count]]
    return queries, details


def timed_get(client, token: str, url: str, params: dict | None = None) -> float:
    t0 = time.perf_counter()
    response = client.get(url, params or {}, HTTP_AUTHORIZATION=f"Token {token}")
    elapsed = time.perf_counter() - t0
    if response.status_code != 200:
        raise SystemExit(f"GET {url} {params} answered {response.status_code}")
    return elapsed


def bench_throughput(client, tokens: dict[str, str], queries: list[str], args) -> None:
    print(f"\n== patient search API throughput, {len(queries)} queries per arm per round ==")
    rates: dict[str, list[float]] = {name: [] for name in tokens}
    url = "/api/v1/records/patients/"
    for token in tokens.values():  # warm-up: caches, connections, database buffers
        for q in queries:
            timed_get(client, token, url, {"q": q})
    for round_no in range(args.rounds):
        order = list(tokens) if round_no % 2 == 0 else list(reversed(tokens))
        for name in order:
            t0 = time.perf_counter()
            for q in queries:
                timed_get(client, tokens[name], url, {"q": q})
            rate = len(queries) / (time.perf_counter() - t0)
            rates[name].append(rate)
            print(f"  round {round_no + 1} {name:<9}: {rate:7.1f} req/s", flush=True)
    scoped, root = statistics.median(rates["scoped"]), statistics.median(rates["superuser"])
    print(f"  median scoped: {scoped:.1f} req/s   superuser: {root:.1f} req/s")
    print(f"  RATIO scoped / superuser = {scoped / root:.3f}   (goal >= 0.8)")


def bench_query_counts(client, token: str, queries: list[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print("\n== queries per page (scoped user) ==")
    url = "/api/v1/records/patients/"
    cases = [("list, no search", {}), ("q=" + queries[0], {"q": queries[0]})]
    cases.append(("q=" + queries[3], {"q": queries[3]}))
    for label, params in cases:
        counts = []
        for size in (10, 50, 100):
            with CaptureQueriesContext(connection) as captured:
                timed_get(client, token, url, {**params, "page_size": size})
            counts.append(len(captured))
        flag = "constant" if len(set(counts)) == 1 else "NOT CONSTANT"
        print(f"  {label[:40]:<40} page_size 10/50/100: {counts}  {flag}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def bench_latency(client, token: str, queries: list[str], details: list[str]) -> None:
    print(f"\n== search latency (scoped user, {len(queries)} queries) ==")
    url = "/api/v1/records/patients/"
    search = [timed_get(client, token, url, {"q": q}) for q in queries]
    base = [timed_get(client, token, f"{url}{eid}/") for eid in details]
    s50, s95 = percentile(search, 50) * 1000, percentile(search, 95) * 1000
    b50, b95 = percentile(base, 50) * 1000, percentile(base, 95) * 1000
    print(f"  search      p50 {s50:7.1f} ms   p95 {s95:7.1f} ms   max {max(search) * 1000:.1f} ms")
    print(f"  baseline    p50 {b50:7.1f} ms   p95 {b95:7.1f} ms   (one patient detail read)")
    print(f"  RATIO search p95 / baseline p95 = {s95 / b95:.2f}")
    slow = sorted(zip(search, queries, strict=True), reverse=True)[:3]
    print("  slowest: " + ", ".join(f"{q!r} {t * 1000:.0f} ms" for t, q in slow))


def main() -> None:
    args = parse_args()
    prepare_database(args.reuse)
    setup_django()
    from django.db import connection
    from rest_framework.test import APIClient

    print(f"database: {connection.vendor}; load average at start: {os.getloadavg()}")
    if not args.reuse:
        seed(args)
    facility, scoped, root = make_users(args)
    queries, details = make_queries(facility, args.requests)
    client = APIClient(HTTP_HOST="127.0.0.1")
    bench_throughput(client, {"scoped": scoped, "superuser": root}, queries, args)
    bench_query_counts(client, scoped, queries)
    bench_latency(client, scoped, queries, details)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
