"""Request numbers under concurrency: intakes at the same moment never share a number
(PostgreSQL: real concurrent transactions; SQLite serializes writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from release_of_info.services import requests as services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)
def test_concurrent_numbering_gives_distinct_consecutive_numbers():
    from django.db import transaction

    got: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker():
        try:
            start.wait()
            with transaction.atomic():
                got.append(services.next_number(2031))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(got) == [f"ROI-2031-{n:06d}" for n in range(1, 7)]
