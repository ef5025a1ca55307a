"""Many writers at once on PostgreSQL: the advisory lock keeps one gap-free chain in commit order."""

from __future__ import annotations

import itertools
import random
import threading
import time

import pytest
from django.db import connection, transaction

from core.events import USER_CREATED
from core.ledger import Target, audit_chain_verify, audit_record
from core.models import AuditEvent
from tests.core.ledger_helpers import THING

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 8
PER_THREAD = 25


def _run_writers(*, pause: float) -> set[int]:
    """Start THREADS threads that each append PER_THREAD events; return the backend pids they used."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    pids: set[int] = set()
    lock = threading.Lock()

    def writer(index: int) -> None:
        rng = random.Random(index)
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with lock:
                pids.add(pid)
            barrier.wait(timeout=30)
            for number in range(PER_THREAD):
                with transaction.atomic():
                    if pause:
                        time.sleep(rng.uniform(0, pause))  # other writers get ahead, before the lock
                    audit_record(
                        event=USER_CREATED,
                        actor=None,
                        target=Target(THING, f"{index}-{number}"),
                        after={"thread": index, "number": number},
                    )
                    if pause:
                        time.sleep(rng.uniform(0, pause))  # commit late, while the others queue on the lock
        except BaseException as exc:
            with lock:
                errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=(index,), name=f"ledger-writer-{index}") for index in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert errors == []
    return pids


def _assert_one_clean_chain() -> None:
    total = THREADS * PER_THREAD
    rows = list(
        AuditEvent.objects.order_by("sequence").values_list("sequence", "prev_hash", "hash", "occurred_at", "after")
    )
    assert len(rows) == total
    assert [row[0] for row in rows] == list(range(1, total + 1))
    assert len({row[1] for row in rows}) == total, "two events share a prev_hash: the chain forked"
    for previous, row in itertools.pairwise(rows):
        assert row[1] == previous[2]
        # The timestamp is taken under the lock, so time never runs backwards along the chain.
        assert row[3] >= previous[3]
    # Every write landed exactly once, and each thread's own events keep their order.
    seen = [(row[4]["thread"], row[4]["number"]) for row in rows]
    assert sorted(seen) == [(t, n) for t in range(THREADS) for n in range(PER_THREAD)]
    for thread in range(THREADS):
        assert [n for t, n in seen if t == thread] == list(range(PER_THREAD))

    report = audit_chain_verify()
    assert report.ok, report.broken
    assert (report.checked, report.first_sequence, report.last_sequence) == (total, 1, total)
    assert report.head_hash == rows[-1][2]


def test_concurrent_writers_build_one_gap_free_chain() -> None:
    pids = _run_writers(pause=0)
    assert len(pids) == THREADS, "the writers did not each have their own database connection"
    _assert_one_clean_chain()


def test_concurrent_writers_with_slow_transactions_build_one_gap_free_chain() -> None:
    pids = _run_writers(pause=0.003)
    assert len(pids) == THREADS
    _assert_one_clean_chain()
