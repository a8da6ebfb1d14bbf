"""The purge: files of records deleted more than the grace period ago go, once, audited."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attachments import purge, services, tasks
from attachments.models import Attachment
from attachments.purge import attachments_purge
from executions.audit import verify_records
from executions.models import ExecutionEvent, ExecutionRecord
from executions.retention import execution_delete, execution_restore, execution_set_legal_hold
from executions.timeline import describe
from opscore.exceptions import Conflict
from tests.attachments.files import png, stored_files
from tests.attachments.test_downloads import attach

PURGED = ExecutionEvent.Action.ATTACHMENTS_PURGED


def deleted(record: ExecutionRecord, user: Any, *, days_ago: int = 31) -> ExecutionRecord:
    """Deletes ``record`` as its executor would, ``days_ago`` days ago."""
    execution_delete(record=record, user=user)
    ExecutionRecord.objects.filter(pk=record.pk).update(
        deleted_at=timezone.now() - timedelta(days=days_ago)
    )
    record.refresh_from_db()
    return record


@pytest.fixture
def with_files(make_record, alice):
    """A record with a screenshot (and its thumbnail) and a log file, not deleted yet."""

    def make() -> ExecutionRecord:
        record = make_record()
        image = attach(record, alice, "lb graph.png", png((800, 600)), step=1)
        attach(record, alice, "deploy.log", b"restarted nginx\n" * 100)
        assert services.thumbnail_make(attachment_id=image.pk) == "ready"
        return record

    return make


def purge_events(record: ExecutionRecord) -> list[ExecutionEvent]:
    return list(record.events.filter(action=PURGED))


# ---- what is purged, and what is not ----------------------------------------------------------


def test_purge_deletes_originals_and_thumbnails_and_audits_each_file(
    with_files, alice, attachment_root
):
    record = deleted(with_files(), alice)
    files = {a.file_name: a for a in Attachment.objects.filter(record=record)}
    assert len(stored_files(attachment_root / str(record.pk))) == 3  # two originals, a thumbnail

    report = attachments_purge()

    assert (report.records, report.files, report.failure_count) == (1, 2, 0)
    assert report.bytes == sum(a.size for a in files.values())
    assert not (attachment_root / str(record.pk)).exists()  # the folder goes too
    record.refresh_from_db()
    assert record.purged_at is not None
    assert not Attachment.objects.filter(record=record, purged_at__isnull=True).exists()
    (event,) = purge_events(record)
    assert event.actor_name == "system"
    assert event.data["count"] == 2
    assert event.data["bytes"] == report.bytes
    assert [(f["file_name"], f["size"], f["sha256"], f["step"]) for f in event.data["files"]] == [
        (a.file_name, a.size, a.sha256, a.step_number) for a in files.values()
    ]
    assert verify_records().breaks == []


def test_a_dry_run_changes_nothing(with_files, alice, attachment_root):
    record = deleted(with_files(), alice)
    before = stored_files(attachment_root)
    events = ExecutionEvent.objects.count()

    report = attachments_purge(dry_run=True)

    assert (report.dry_run, report.records, report.files) == (True, 1, 2)
    assert report.bytes == sum(Attachment.objects.values_list("size", flat=True))
    assert stored_files(attachment_root) == before
    assert ExecutionEvent.objects.count() == events
    record.refresh_from_db()
    assert record.purged_at is None
    assert not Attachment.objects.filter(purged_at__isnull=False).exists()


def test_nothing_is_purged_before_the_grace_period_ends(with_files, alice, settings):
    settings.ATTACHMENT_PURGE_GRACE_DAYS = 30
    recent = deleted(with_files(), alice, days_ago=29)
    live = with_files()

    report = attachments_purge()

    assert (report.records, report.files) == (0, 0)
    for record in (recent, live):
        record.refresh_from_db()
        assert record.purged_at is None
        assert not purge_events(record)
    assert not Attachment.objects.filter(purged_at__isnull=False).exists()


def test_the_grace_period_comes_from_the_setting(with_files, alice, settings):
    settings.ATTACHMENT_PURGE_GRACE_DAYS = 7
    record = deleted(with_files(), alice, days_ago=8)

    assert attachments_purge().records == 1
    record.refresh_from_db()
    assert record.purged_at is not None


def test_a_legal_hold_exempts_a_deleted_record(with_files, alice, admin_user, attachment_root):
    held = deleted(with_files(), alice)
    execution_set_legal_hold(record=held, user=admin_user, hold=True)
    before = stored_files(attachment_root)

    report = attachments_purge()

    assert (report.records, report.held) == (0, 1)
    assert stored_files(attachment_root) == before
    held.refresh_from_db()
    assert held.purged_at is None
    execution_set_legal_hold(record=held, user=admin_user, hold=False)
    assert attachments_purge().records == 1  # once the hold is lifted


def test_a_second_purge_is_a_no_op(with_files, alice, flaky):
    record = deleted(with_files(), alice)
    attachments_purge()
    flaky.deleted.clear()
    events = ExecutionEvent.objects.count()

    report = attachments_purge()

    assert (report.records, report.files, report.leftovers) == (0, 0, 0)
    assert flaky.deleted == []  # not even a delete of a file already gone
    assert ExecutionEvent.objects.count() == events
    assert len(purge_events(record)) == 1


def test_a_deleted_record_without_files_is_purged_too(make_record, alice):
    record = deleted(make_record(), alice)

    assert attachments_purge().records == 1

    record.refresh_from_db()
    assert record.purged_at is not None
    (event,) = purge_events(record)
    assert event.data == {"files": [], "count": 0, "bytes": 0, "grace_days": 30}


def test_a_file_already_missing_counts_as_deleted(with_files, alice, attachment_root):
    record = deleted(with_files(), alice)
    log = Attachment.objects.get(record=record, file_name="deploy.log")
    os.remove(attachment_root / log.storage_key)

    report = attachments_purge()

    assert (report.records, report.files, report.failure_count) == (1, 2, 0)
    log.refresh_from_db()
    assert log.purged_at is not None


def test_a_file_kept_on_the_other_backend_is_never_taken_for_purged(
    with_files, alice, attachment_root
):
    # ATTACHMENT_STORAGE_TYPE was switched to local after this file went to S3.
    record = deleted(with_files(), alice)
    log = Attachment.objects.get(record=record, file_name="deploy.log")
    Attachment.objects.filter(pk=log.pk).update(storage_type="s3")

    report = attachments_purge()

    assert (report.records, report.incomplete) == (0, 1)
    assert report.failures[0].key == log.storage_key
    assert "stored on s3 storage; this server uses local only" in report.failures[0].error
    log.refresh_from_db()
    record.refresh_from_db()
    assert log.purged_at is None and record.purged_at is None
    assert not purge_events(record)
    with pytest.raises(CommandError):
        call_command("purge_attachments")


def test_leftovers_in_the_records_folder_are_removed(with_files, alice, attachment_root):
    record = deleted(with_files(), alice)
    stray = attachment_root / str(record.pk) / "0c6e.thumb.webp"  # from an interrupted task
    stray.write_bytes(b"RIFF")

    report = attachments_purge()

    assert (report.records, report.leftovers) == (1, 1)
    assert not (attachment_root / str(record.pk)).exists()


def test_only_due_records_files_are_touched(with_files, alice, attachment_root):
    due = deleted(with_files(), alice)
    live = with_files()
    kept = stored_files(attachment_root / str(live.pk))

    attachments_purge()

    assert not (attachment_root / str(due.pk)).exists()
    assert stored_files(attachment_root / str(live.pk)) == kept


# ---- restore -----------------------------------------------------------------------------------


def test_restore_is_refused_once_the_files_are_purged(with_files, alice, admin_user, admin_client):
    record = deleted(with_files(), alice)
    attachments_purge()

    with pytest.raises(Conflict, match="purged"):
        execution_restore(record=record, user=admin_user)
    trash = reverse("admin:executions_deletedexecutionrecord_changelist")
    response = admin_client.post(
        trash, {"action": "restore", "_selected_action": [str(record.pk)]}, follow=True
    )
    assert "can no longer be restored" in response.content.decode()
    record.refresh_from_db()
    assert record.deleted_at is not None


def test_restore_before_the_purge_still_works(with_files, alice, admin_user):
    record = deleted(with_files(), alice, days_ago=3)
    attachments_purge()

    execution_restore(record=record, user=admin_user)

    record.refresh_from_db()
    assert record.deleted_at is None
    with pytest.raises(PermissionDenied):
        execution_restore(record=record, user=alice)


# ---- storage failures --------------------------------------------------------------------------


def test_a_storage_failure_spares_the_rest_and_is_retried_next_run(
    with_files, alice, admin_user, flaky
):
    first, failing, last = (deleted(with_files(), alice) for _ in range(3))
    log = Attachment.objects.get(record=failing, file_name="deploy.log")
    flaky.broken = {log.storage_key}

    report = attachments_purge()

    assert (report.records, report.files, report.incomplete) == (2, 5, 1)
    assert report.failure_count == 1
    assert report.failures[0].record_id == str(failing.pk)
    assert report.failures[0].key == log.storage_key
    assert "Permission denied" in report.failures[0].error
    for record in (first, last):
        record.refresh_from_db()
        assert record.purged_at is not None
    failing.refresh_from_db()
    assert failing.purged_at is None  # not until all its files are gone
    assert not purge_events(failing)
    image = Attachment.objects.get(record=failing, file_name="lb graph.png")
    assert image.purged_at is not None  # its other file went
    with pytest.raises(Conflict, match="Some files"):
        execution_restore(record=failing, user=admin_user)

    flaky.broken = set()
    retry = attachments_purge()

    assert (retry.records, retry.files, retry.incomplete, retry.failure_count) == (1, 1, 0, 0)
    failing.refresh_from_db()
    assert failing.purged_at is not None
    (event,) = purge_events(failing)
    assert [f["file_name"] for f in event.data["files"]] == ["lb graph.png", "deploy.log"]
    # Each file says when it went: the image in the first run, the log in the retry.
    image_went, log_went = (f["purged_at"] for f in event.data["files"])
    assert image_went < log_went
    assert ExecutionEvent.objects.filter(action=PURGED).count() == 3


def test_a_storage_that_keeps_failing_stops_the_run(make_record, alice, flaky):
    records = [make_record() for _ in range(3)]
    for record in records:
        for index in range(10):
            attach(record, alice, f"log-{index}.txt", b"x")
        deleted(record, alice)
    flaky.fail_all = True

    report = attachments_purge()

    assert report.stopped
    assert report.failure_count == purge.MAX_FAILURES_IN_A_ROW
    assert report.records == 0
    assert not Attachment.objects.filter(purged_at__isnull=False).exists()
    flaky.fail_all = False
    assert attachments_purge().records == 3


# ---- stale uploads -----------------------------------------------------------------------------


def test_stale_partial_uploads_older_than_a_day_are_removed(attachment_root, db):
    incoming = attachment_root / ".incoming"
    incoming.mkdir(parents=True)
    stale, fresh, other = (
        incoming / "upload-k3j2.part",
        incoming / "upload-9xq1.part",
        incoming / "notes.txt",
    )
    for path in (stale, fresh, other):
        path.write_bytes(b"half a file")
    two_days_ago = time.time() - 2 * 86400
    for path in (stale, other):
        os.utime(path, (two_days_ago, two_days_ago))

    dry = attachments_purge(dry_run=True)
    assert (dry.stale_uploads, stale.exists()) == (1, True)

    report = attachments_purge()

    assert (report.stale_uploads, report.stale_upload_bytes) == (1, len(b"half a file"))
    assert not stale.exists()
    assert fresh.exists()  # an upload may still be streaming into it
    assert other.exists()  # not ours


# ---- queries -----------------------------------------------------------------------------------


def bulk_deleted(make_record, alice, *, records: int, files: int) -> None:
    """``records`` deleted records sharing ``files`` attachment rows whose files do not exist
    (a missing file counts as deleted): the queries are what is measured, not the disk."""
    owners = [deleted(make_record(), alice) for _ in range(records)]
    Attachment.objects.bulk_create(
        [
            Attachment(
                record=owners[index % records],
                file_name=f"capture-{index}.png",
                size=1000,
                mime_type="image/png",
                sha256="0" * 64,
                storage_type="local",
                storage_key=f"{owners[index % records].pk}/{index:08d}",
                thumbnail_key=f"{owners[index % records].pk}/{index:08d}.thumb.webp",
                uploaded_by=alice,
            )
            for index in range(files)
        ],
        batch_size=2000,
    )


def purge_queries() -> tuple[int, purge.PurgeReport]:
    with CaptureQueriesContext(connection) as queries:
        report = attachments_purge()
    return len(queries), report


def test_queries_grow_per_batch_of_files_not_per_file(make_record, alice):
    bulk_deleted(make_record, alice, records=4, files=1_000)
    small, small_report = purge_queries()
    bulk_deleted(make_record, alice, records=4, files=10_000)
    large, large_report = purge_queries()

    assert (small_report.records, small_report.files) == (4, 1_000)
    assert (large_report.records, large_report.files) == (4, 10_000)
    assert large_report.bytes == 10_000 * 1000
    # Two queries per batch of files (read the batch, mark it purged) and nothing per file.
    extra_batches = 10_000 // purge.FILE_BATCH - 1_000 // purge.FILE_BATCH
    assert large - small == 2 * extra_batches
    assert large < 100
    event = ExecutionEvent.objects.filter(action=PURGED).order_by("-pk").first()
    assert event.data["count"] == 2_500


# ---- the command, the task and the schedule ----------------------------------------------------


def test_the_command_reports_what_it_would_do_and_what_it_did(with_files, alice, capsys):
    deleted(with_files(), alice)

    call_command("purge_attachments", "--dry-run")
    dry = capsys.readouterr().out
    call_command("purge_attachments")
    done = capsys.readouterr().out

    assert "would purge 1 record deleted before" in dry
    assert ": 2 files, " in dry
    assert "purged 1 record deleted before" in done
    assert " freed" in done
    call_command("purge_attachments")
    assert "purged 0 records" in capsys.readouterr().out


def test_the_command_names_each_failure_and_exits_1(with_files, alice, flaky, capsys):
    record = deleted(with_files(), alice)
    log = Attachment.objects.get(record=record, file_name="deploy.log")
    flaky.broken = {log.storage_key}

    with pytest.raises(CommandError, match="1 file not deleted; the next run retries"):
        call_command("purge_attachments")

    output = capsys.readouterr()
    assert "incomplete: 1 record with files" in output.out
    assert f"record {record.pk}: {log.storage_key}: PermissionError" in output.err


def test_the_daily_task_purges_and_is_scheduled(with_files, alice, settings):
    deleted(with_files(), alice)

    result = tasks.attachments_purge.apply().get()

    assert result == {"records": 1, "files": 2, "bytes": result["bytes"], "incomplete": 0,
                      "failures": 0}  # fmt: skip
    assert result["bytes"] > 0
    schedule = settings.CELERY_BEAT_SCHEDULE["attachments-purge"]
    assert schedule["task"] == tasks.attachments_purge.name
    assert schedule["schedule"].hour == {3}  # daily, at night


# ---- the timeline ------------------------------------------------------------------------------


def test_the_purge_event_reads_as_a_sentence(with_files, alice, make_record):
    record = deleted(with_files(), alice)
    empty = deleted(make_record(), alice)
    attachments_purge()

    entry = describe(purge_events(record)[0])
    nothing = describe(purge_events(empty)[0])

    assert str(entry.sentence).startswith("<strong>system</strong> purged 2 files")
    assert "of the deleted record (" in str(entry.sentence)
    assert entry.detail == "lb graph.png, deploy.log"
    assert entry.icon == "trash"
    assert "it had no files" in str(nothing.sentence)


def test_the_timeline_names_the_first_files_and_counts_the_rest(record, alice):
    record = deleted(record, alice)
    files = [{"file_name": f"f{i}.txt", "size": 10} for i in range(5)]
    event = ExecutionEvent(
        record=record, actor_name="system", action=PURGED,
        data={"files": files, "count": 5, "bytes": 50},
    )  # fmt: skip

    entry = describe(event)

    assert "purged 5 files of the deleted record (50\xa0bytes)" in str(entry.sentence)
    assert entry.detail == "f0.txt, f1.txt, f2.txt and 2 more"


def test_administrators_read_the_purge_in_the_trash(with_files, alice, admin_client):
    record = deleted(with_files(), alice)
    attachments_purge()

    page = admin_client.get(
        reverse("admin:executions_deletedexecutionrecord_change", args=[record.pk])
    ).content.decode()

    assert "purged 2 files of the deleted record" in page
    assert "lb graph.png, deploy.log" in page
