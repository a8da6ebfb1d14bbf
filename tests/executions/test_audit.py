from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import ProtectedError
from django.utils import timezone

from attachments.purge import attachments_purge
from attachments.services import attachment_delete
from executions import services
from executions.audit import event_hash, verify_records
from executions.export import execution_export
from executions.models import ExecutionEvent, ExecutionRecord
from executions.retention import execution_delete, execution_restore, execution_set_legal_hold
from sharing.services import share_make_private, share_set
from tests.attachments.test_downloads import attach


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


# ---- the head of the chain ---------------------------------------------------------------------


def head_of(record: ExecutionRecord) -> tuple[int, str]:
    record.refresh_from_db(fields=["audit_seq", "audit_head"])
    return record.audit_seq, record.audit_head


def test_removing_the_latest_event_is_found(record, alice, capsys):
    services.execution_complete(record=record, user=alice)
    latest = record.events.get(seq=2)
    tamper("DELETE FROM executions_executionevent WHERE id = %s", [latest.pk])
    with pytest.raises(CommandError, match="1 breaks found"):
        call_command("verify_audit")
    out = capsys.readouterr().out
    first = record.events.get(seq=1)
    assert (
        f"BROKEN record {record.pk} event 1 (id {first.pk}): "
        "the record's chain ends at event 2 but the last event found is 1"
    ) in out


def test_removing_every_event_of_a_record_is_found(record, alice, make_record, capsys):
    make_record()
    tamper("DELETE FROM executions_executionevent WHERE record_id = %s", [record.pk.hex])
    with pytest.raises(CommandError, match="checked 2 records, 1 events: 1 breaks found"):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert (
        f"BROKEN record {record.pk} event 1: the record's chain ends at event 1 "
        "but no event was found"
    ) in out


def test_removing_a_middle_event_is_still_found_and_the_end_is_not_blamed(record, alice, capsys):
    services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    services.execution_complete(record=record, user=alice)
    tamper("DELETE FROM executions_executionevent WHERE id = %s", [record.events.get(seq=2).pk])
    with pytest.raises(CommandError, match="2 breaks found"):
        call_command("verify_audit", "--record", str(record.pk))
    out = capsys.readouterr().out
    assert f"BROKEN record {record.pk} event 3" in out
    assert "expected event 2 here" in out
    assert "chain ends" not in out  # the chain still ends where the record says


def test_a_latest_event_replaced_by_a_well_linked_forgery_is_found(record, alice):
    services.execution_complete(record=record, user=alice)
    latest = record.events.get(seq=2)
    tamper("DELETE FROM executions_executionevent WHERE id = %s", [latest.pk])
    # A forgery hashed and linked as the application would: only the record's head tells.
    forged = ExecutionEvent(
        record=record, seq=2, actor_name="alice", action="status_changed",
        data={"from": "in_progress", "to": "failed"}, created_at=latest.created_at,
        prev_hash=latest.prev_hash,
    )  # fmt: skip
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)
    breaks = verify_records(record_id=record.pk).breaks
    assert [(b.seq, b.problem) for b in breaks] == [
        (2, "the record's chain ends at another event than this one (its hash differs)")
    ]


def test_an_event_appended_after_a_removal_does_not_hide_it(record, alice):
    services.execution_complete(record=record, user=alice)
    tamper("DELETE FROM executions_executionevent WHERE id = %s", [record.events.get(seq=2).pk])
    services.execution_reopen(record=record, user=alice)
    problems = {(b.seq, b.problem) for b in verify_records(record_id=record.pk).breaks}
    assert problems == {(3, "expected event 2 here"), (3, "does not link to the event before it")}


def test_a_head_moved_behind_the_applications_back_is_found(record, alice):
    services.execution_complete(record=record, user=alice)
    tamper("UPDATE executions_executionrecord SET audit_seq = 1 WHERE id = %s", [record.pk.hex])
    breaks = verify_records(record_id=record.pk).breaks
    assert [b.problem for b in breaks] == [
        "the record's chain ends at event 1 but the last event found is 2"
    ]


def test_every_action_that_writes_an_event_moves_the_record_head(
    record, alice, bob, admin_user, django_capture_on_commit_callbacks
):
    def latest_action() -> str:
        latest = record.events.order_by("-seq").first()
        assert head_of(record) == (latest.seq, latest.hash)
        return latest.action

    seen = [latest_action()]
    services.execution_save_draft(record=record, user=alice, version=1, notes="n")
    seen.append(latest_action())
    services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    seen.append(latest_action())
    services.execution_step_set_done(record=record, user=alice, number=1, done=False)
    seen.append(latest_action())
    services.execution_step_add(record=record, user=alice, description="Check the logs.")
    seen.append(latest_action())
    attachment = attach(record, alice, "notes.txt", b"all good\n")
    seen.append(latest_action())
    attachment_delete(attachment=attachment, user=alice)
    seen.append(latest_action())
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    seen.append(latest_action())
    share_make_private(record=record, user=alice)
    seen.append(latest_action())
    services.execution_complete(record=record, user=alice)
    seen.append(latest_action())
    execution_export(record=record, user=alice)
    seen.append(latest_action())
    execution_set_legal_hold(record=record, user=admin_user, hold=True)
    seen.append(latest_action())
    execution_set_legal_hold(record=record, user=admin_user, hold=False)
    seen.append(latest_action())
    execution_delete(record=record, user=alice)
    seen.append(latest_action())
    execution_restore(record=record, user=admin_user)
    seen.append(latest_action())
    execution_delete(record=record, user=alice)
    seen.append(latest_action())
    ExecutionRecord.objects.filter(pk=record.pk).update(
        deleted_at=timezone.now() - timedelta(days=60)
    )
    with django_capture_on_commit_callbacks(execute=True):
        attachments_purge()
    seen.append(latest_action())

    assert set(seen) == set(ExecutionEvent.Action.values)  # every kind of event was written
    assert head_of(record)[0] == len(seen) == record.events.count()
    assert verify_records().breaks == []


def test_a_user_named_by_audit_events_cannot_be_deleted_so_no_event_changes(
    record, alice, make_user
):
    # The administrator who placed a hold acted on a record that is not theirs.
    officer = make_user("olga", is_staff=True, is_superuser=True)
    execution_set_legal_hold(record=record, user=officer, hold=True)
    before = list(ExecutionEvent.objects.values_list("pk", "actor_id", "hash"))
    with pytest.raises(ProtectedError):
        officer.delete()
    assert list(ExecutionEvent.objects.values_list("pk", "actor_id", "hash")) == before
    assert verify_records().breaks == []
