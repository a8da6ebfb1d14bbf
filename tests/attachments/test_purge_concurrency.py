"""Two purges at once: PostgreSQL row locks, one connection per thread."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from attachments import purge
from attachments.models import Attachment
from executions.models import ExecutionEvent
from tests.attachments.test_downloads import attach
from tests.attachments.test_purge import deleted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_purges_at_once_delete_each_file_once_and_audit_each_record_once(
    make_record, alice, flaky, monkeypatch
):
    records = [make_record() for _ in range(24)]
    for record in records:
        attach(record, alice, "before.txt", b"drained")
        attach(record, alice, "after.log", b"ok\n")
        deleted(record, alice)
    # Small batches, so that the two runs interleave over many transactions.
    monkeypatch.setattr(purge, "RECORD_BATCH", 3)
    runs = 2
    barrier = threading.Barrier(runs)
    reports: list[purge.PurgeReport] = []
    errors: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            report = purge.attachments_purge()
            with lock:
                reports.append(report)
        except Exception as exc:  # reported below; a thread must never die silently
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    files = [key for key in flaky.deleted if "/" in key]  # not the record folders themselves
    assert sorted(Counter(files).values()) == [1] * 48
    assert set(files) == set(Attachment.objects.values_list("storage_key", flat=True))
    assert sum(r.records for r in reports) == 24
    assert sum(r.files for r in reports) == 48
    assert Attachment.objects.filter(purged_at__isnull=True).count() == 0
    events = Counter(
        ExecutionEvent.objects.filter(action="attachments_purged").values_list(
            "record_id", flat=True
        )
    )
    assert events == {record.pk: 1 for record in records}
