"""Optimistic locking under real concurrency: PostgreSQL row locks, one connection per thread."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from executions import services
from executions.models import ExecutionRecord
from opscore.exceptions import Conflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_saves_of_the_same_version_one_wins_nineteen_conflict(record, alice):
    threads = 20
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.execution_save_draft(
                record=ExecutionRecord(pk=record.pk), user=alice, version=1, notes=f"thread {index}"
            )
            outcome = "saved"
        except Conflict:
            outcome = "conflict"
        except Exception as exc:  # reported below; a thread must never die silently
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=save, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(outcomes) == ["conflict"] * 19 + ["saved"]
    record.refresh_from_db()
    assert record.version == 2
    assert record.notes.startswith("thread ")
    assert record.events.filter(action="updated").count() == 1
