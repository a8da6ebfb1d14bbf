from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from executions import services
from executions.audit import verify_records


def tamper(sql: str, params: list) -> None:
    """A change made behind the application's back, straight in the database."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_audit_passes_on_intact_chains(record, alice, make_record, capsys):
    services.execution_complete(record=record, user=alice)
    make_record()
    call_command("verify_audit")
    assert "checked 2 records, 3 events: every chain intact" in capsys.readouterr().out


def test_a_changed_event_is_found(record, alice, capsys):
    services.execution_complete(record=record, user=alice)
    event = record.events.get(seq=1)
    tamper(
        "UPDATE executions_executionevent SET actor_name = %s WHERE id = %s", ["mallory", event.pk]
    )
    with pytest.raises(CommandError, match="1 breaks found"):
        call_command("verify_audit", "--record", str(record.pk))
    out = capsys.readouterr().out
    assert f"BROKEN record {record.pk} event 1" in out
    assert "content does not match its hash" in out


def test_a_removed_event_is_found(record, alice):
    services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    services.execution_complete(record=record, user=alice)
    middle = record.events.get(seq=2)
    tamper("DELETE FROM executions_executionevent WHERE id = %s", [middle.pk])
    problems = {(b.seq, b.problem) for b in verify_records(record_id=record.pk).breaks}
    assert (3, "expected event 2 here") in problems
    assert (3, "does not link to the event before it") in problems


def test_a_rewritten_data_field_is_found(record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="n")
    event = record.events.get(seq=2)
    tamper(
        "UPDATE executions_executionevent SET data = %s WHERE id = %s",
        ['{"fields": ["title"]}', event.pk],
    )
    breaks = verify_records(record_id=record.pk).breaks
    assert [(b.seq, b.problem) for b in breaks] == [(2, "content does not match its hash")]
