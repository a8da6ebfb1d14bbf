"""Migrations executions 0007 and 0008: the record's audit head, filled in from its events."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from executions import services
from executions.models import ExecutionEvent, ExecutionRecord

backfill = importlib.import_module("executions.migrations.0008_backfill_audit_head")


@pytest.fixture
def records_before_the_head(record, alice, version, make_record):
    """Records as 0007 leaves them: events, but heads at their defaults (and one without
    events, as bulk-created benchmark records are)."""
    services.execution_complete(record=record, user=alice)
    longer = make_record()
    for number in (1, 2, 3):
        services.execution_step_set_done(record=longer, user=alice, number=number, done=True)
    make_record()
    ExecutionRecord.objects.create(
        procedure=version.procedure, procedure_version=version, executor=alice, title="No events"
    )
    ExecutionRecord.objects.update(audit_seq=0, audit_head="")
    return ExecutionRecord.objects.all()


def assert_every_head_is_the_latest_event() -> None:
    for record in ExecutionRecord.objects.all():
        latest = ExecutionEvent.objects.filter(record=record).order_by("-seq").first()
        expected = (latest.seq, latest.hash) if latest else (0, "")
        assert (record.audit_seq, record.audit_head) == expected, record.title


def test_the_backfill_sets_each_head_to_the_latest_event_in_batches(records_before_the_head):
    assert ExecutionRecord.objects.filter(audit_seq__gt=0).count() == 0
    done = backfill.audit_heads_backfill(ExecutionRecord, ExecutionEvent, batch_size=2)
    assert done == 4
    assert_every_head_is_the_latest_event()
    assert sorted(ExecutionRecord.objects.values_list("audit_seq", flat=True)) == [0, 1, 2, 4]


def test_the_backfill_runs_as_one_statement_per_batch(records_before_the_head):
    with CaptureQueriesContext(connection) as queries:
        backfill.audit_heads_backfill(ExecutionRecord, ExecutionEvent, batch_size=3)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # 4 records in batches of 3, never one statement per record


@pytest.mark.django_db(transaction=True)
def test_migrating_fills_in_the_heads_of_existing_records(records_before_the_head):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("executions")
    executor.migrate([("executions", "0007_record_audit_head")])
    try:
        executor = MigrationExecutor(connection)  # a fresh graph and applied state
        executor.migrate([("executions", "0008_backfill_audit_head")])
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert_every_head_is_the_latest_event()
    assert ExecutionRecord.objects.filter(audit_seq__gt=0).count() == 3
