"""Benchmark: what the access trail costs.

Builds its own synthetic data in a throwaway database, then prints, in one run:

1. Throughput of a PHI read endpoint (GET /api/v1/records/patients/<id>/, token
   auth, a real gunicorn server, concurrent clients) with the trail on versus
   off. Rounds alternate on/off so machine noise hits both arms alike.
   Goal: on/off >= 0.85.
2. ``verify_trail`` over N rows (default 1,000,000), against a baseline of a
   plain ordered scan of the same rows. Goal: <= 60 s.

    python bench/trail.py                      # SQLite file, or
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/him_bench python bench/trail.py

The database named by DATABASE_URL is dropped and recreated: never point this
at a real one. Options: --rows, --requests, --concurrency, --rounds.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="trail rows to verify")
    parser.add_argument("--requests", type=int, default=1500, help="requests per round per arm")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    return parser.parse_args()


def prepare_database() -> dict:
    env = dict(os.environ)
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        tmp = Path(tempfile.mkdtemp(prefix="him-bench-"))
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env.setdefault("TRAIL_KEY", "bench-trail-key-not-secret")
    env.setdefault("SECRET_KEY", "bench-secret-key-not-secret-" + "x" * 30)
    env["LOG_LEVEL"] = "WARNING"
    env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.update(env)
    return env


def setup_django(env: dict):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "him.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_fixture():
    from guardian.shortcuts import assign_perm
    from rest_framework.authtoken.models import Token

    from him.models import Facility, User
    from records.models import Patient

    facility = Facility.objects.create(code="BENCH", name="Bench General")
    user = User.objects.create_user("bench-api", password=None)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Integration"))
    assign_perm("him.access_facility", user, facility)
    token = Token.objects.create(user=user)
    rng = random.Random(1)
    patients = Patient.objects.bulk_create(
        Patient(
            facility=facility,
            mrn=f"B{n:06d}",
            family_name=f"Family{n}",
            given_name=f"Given{rng.randrange(1000)}",
            birth_date=datetime(1950, 1, 1).date() + timedelta(days=rng.randrange(20000)),
        )
        for n in range(2000)
    )
    ids = [p.enterprise_id for p in patients]
    return token.key, ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, trail_on: bool, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server_env = dict(env, TRAIL_ENABLED="true" if trail_on else "false")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "him.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status in (200, 503):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def load(port: int, token: str, ids: list[str], total: int, concurrency: int) -> float:
    """Send ``total`` GETs over ``concurrency`` keep-alive connections; requests/s."""
    counter = iter(range(total))
    lock = threading.Lock()
    errors = []

    def worker(seed: int):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            conn.request("GET", f"/api/v1/records/patients/{rng.choice(ids)}/", headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return total / elapsed


def bench_throughput(env, token, ids, args) -> None:
    print(f"\n== PHI read endpoint, {args.concurrency} clients, gunicorn -w {args.workers} ==")
    results = {True: [], False: []}
    for round_no in range(args.rounds):
        for trail_on in (False, True) if round_no % 2 == 0 else (True, False):
            proc, port = start_server(env, trail_on, args.workers)
            try:
                load(port, token, ids, min(200, args.requests), args.concurrency)  # warm up
                rate = load(port, token, ids, args.requests, args.concurrency)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results[trail_on].append(rate)
            print(f"  round {round_no + 1} trail {'on ' if trail_on else 'off'}: {rate:8.1f} req/s")
    on, off = statistics.median(results[True]), statistics.median(results[False])
    print(f"  median trail off: {off:.1f} req/s   trail on: {on:.1f} req/s")
    print(f"  RATIO trail on / off = {on / off:.3f}   (goal >= 0.85)")


def fill_trail(rows: int) -> None:
    """Append ``rows`` chained events quickly (bulk insert of a valid chain)."""
    from django.db import connection

    from him import trail
    from him.models import AccessEvent

    lane = trail.current_lane()
    last = (
        AccessEvent.objects.filter(lane=lane)
        .order_by("-lane_seq")
        .values_list("lane_seq", "mac")
        .first()
    )
    position, prev = (last[0], last[1]) if last else (0, trail.GENESIS)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ["read", "search", "update", "export", "login"]
    batch: list[AccessEvent] = []
    rng = random.Random(2)
    t0 = time.perf_counter()
    for n in range(rows):
        position += 1
        values = {
            "at": start + timedelta(seconds=n),
            "user_id": rng.randrange(1, 200),
            "username": f"user{rng.randrange(200)}",
            "role": "HIM technician",
            "action": actions[n % len(actions)],
            "object_type": "records.patient",
            "object_id": f"E{rng.randrange(10**9):09d}",
            "patient_id": rng.randrange(1, 100000),
            "facility_id": 1,
            "ip": "10.0.0.1",
            "user_agent": "bench",
            "request_id": "",
            "outcome": "success",
            "reason": "",
            "detail": "",
        }
        mac = trail.compute_mac(values, prev)
        batch.append(AccessEvent(lane=lane, lane_seq=position, prev_mac=prev, mac=mac, **values))
        prev = mac
        if len(batch) == 20000:
            AccessEvent.objects.bulk_create(batch)
            batch.clear()
    if batch:
        AccessEvent.objects.bulk_create(batch)
    connection.close()
    print(f"  built {rows:,} chained rows in {time.perf_counter() - t0:.1f} s")


def bench_verify(rows: int) -> None:
    from him import trail
    from him.models import AccessEvent

    print(f"\n== verify_trail over {rows:,} rows ==")
    fill_trail(rows)
    total = AccessEvent.objects.count()
    t0 = time.perf_counter()
    scanned = sum(1 for _ in trail._rows(5000))
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = trail.verify()
    elapsed = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"verify failed on a valid chain: {result.message}")
    print(f"  baseline ordered scan of {scanned:,} rows: {scan:.1f} s")
    print(f"  verify_trail over {total:,} rows: {elapsed:.1f} s   (goal <= 60 s)")
    print(f"  RATIO verify / scan = {elapsed / scan:.2f}")


def main() -> None:
    args = parse_args()
    env = prepare_database()
    setup_django(env)
    from django.db import connection

    print(f"database: {connection.vendor}")
    token, ids = make_fixture()
    connection.close()
    bench_throughput(env, token, ids, args)
    bench_verify(args.rows)


if __name__ == "__main__":
    main()
