"""The purge (SPEC section 8): the files of records deleted long enough ago go for good.

A record is due when it was deleted more than ``ATTACHMENT_PURGE_GRACE_DAYS`` ago, is not on
legal hold and is not purged yet. Records are taken a batch at a time, each batch in one
transaction that locks its rows with ``skip_locked``: a concurrent run takes other records,
never the same ones, and re-checks each under its lock, so a file is deleted once and a record
gets one event. The files of the locked records are deleted a chunk at a time and each chunk's
attachments are marked purged in one UPDATE: queries grow per chunk and per record, never per
file, and memory holds one chunk (plus, for the event, the file list of one batch's records).

Files go *before* the rows are marked, unlike everywhere else (files after commit): a row
marked purged must never point at a file that is still there. Should the transaction fail
after the deletes, the next run deletes again, and a file already missing counts as deleted.

When every file of a record is gone, its folder ``{record id}/`` is swept for leftovers (a
thumbnail from an interrupted task, a file whose deletion failed once), the record is marked
purged (restore is refused from then on) and one ``attachments_purged`` event lists every file
with its size, SHA-256 and when it went.

A storage error on one file does not stop the others; that attachment stays unmarked and its
record unpurged, so the next run retries exactly what is left. Until then the record is
*incomplete*: the report and the log name it and each failure, its restore is refused (some of
its files are gone), and it gets its one event when its last file goes. Twenty errors in a row
mean the storage is down: the run stops rather than wait on every remaining file.

Local storage only: stale upload files in ``.incoming`` (an upload killed mid-way leaves its
partial file) older than a day are removed too; no upload streams for a day, and an active
one's file is modified with every chunk.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from attachments.models import Attachment
from attachments.storage import (
    STORAGE_ERRORS,
    attachment_storage,
    incoming_dir,
    is_missing,
    storage_type_of,
)
from attachments.uploads import TEMP_PREFIX, TEMP_SUFFIX
from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord

logger = logging.getLogger(__name__)

RECORD_BATCH = 100
FILE_BATCH = 500
MAX_FAILURES_IN_A_ROW = 20
FAILURES_KEPT = 100  # in the report; the log has every one
STALE_UPLOAD_AGE = timedelta(days=1)


@dataclass(frozen=True)
class PurgeFailure:
    record_id: str
    key: str
    error: str


@dataclass
class PurgeReport:
    """What a purge did, or on a dry run would do."""

    dry_run: bool
    cutoff: datetime
    records: int = 0  # purged (due, on a dry run)
    files: int = 0  # attachments whose original and thumbnail were deleted
    bytes: int = 0  # their recorded sizes: originals only, thumbnails are extra
    leftovers: int = 0  # other files found under a purged record's folder
    held: int = 0  # due but on legal hold, so kept
    incomplete: int = 0  # records with a file still there: retried next run
    failure_count: int = 0
    failures: list[PurgeFailure] = field(default_factory=list)  # the first FAILURES_KEPT
    stopped: bool = False  # the storage kept failing; the rest waits for the next run
    stale_uploads: int = 0
    stale_upload_bytes: int = 0

    def summary(self) -> list[str]:
        """The report in lines, for the command's output and the task's log."""
        before = f"deleted before {self.cutoff:%Y-%m-%d %H:%M %Z}"
        size = filesizeformat(self.bytes)
        if self.bytes >= 1024:
            size += f" ({self.bytes} bytes)"  # exact, for scripts; 'bytes' already is
        freed = f"{counted(self.files, 'file')}, {size}"
        records = counted(self.records, "record")
        if self.dry_run:
            lines = [f"would purge {records} {before}: {freed}"]
        else:
            lines = [f"purged {records} {before}: {freed} freed"]
            if self.leftovers:
                lines.append(
                    f"removed {counted(self.leftovers, 'leftover file')} from their folders"
                )
        if self.held:
            lines.append(f"kept {counted(self.held, 'record')} on legal hold")
        if self.incomplete:
            lines.append(
                f"incomplete: {counted(self.incomplete, 'record')} with files that could not be "
                "deleted; the next run retries them"
            )
        if self.failure_count:
            lines.append(f"failed to delete {counted(self.failure_count, 'file')}")
        if self.stopped:
            lines.append(
                f"stopped early: the storage failed {MAX_FAILURES_IN_A_ROW} times in a row; "
                "the rest waits for the next run"
            )
        if self.stale_uploads:
            verb = "would remove" if self.dry_run else "removed"
            lines.append(
                f"{verb} {counted(self.stale_uploads, 'stale upload file')} "
                f"({filesizeformat(self.stale_upload_bytes)})"
            )
        return lines


def counted(count: int, noun: str) -> str:
    """counted(1, "file") -> '1 file'; counted(3, "file") -> '3 files'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def purge_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.ATTACHMENT_PURGE_GRACE_DAYS)


def records_due(*, cutoff: datetime) -> QuerySet[ExecutionRecord]:
    """Deleted before ``cutoff``, not on legal hold, not purged yet."""
    return ExecutionRecord.objects.filter(
        deleted_at__lt=cutoff, legal_hold=False, purged_at__isnull=True
    )


def attachments_purge(*, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Purges the files of every record due (see the module's docstring); safe to run twice
    or concurrently. A dry run counts what would go and changes nothing."""
    cutoff = purge_cutoff(now)
    report = PurgeReport(dry_run=dry_run, cutoff=cutoff)
    due = records_due(cutoff=cutoff)
    report.held = ExecutionRecord.objects.filter(
        deleted_at__lt=cutoff, legal_hold=True, purged_at__isnull=True
    ).count()
    storage = attachment_storage()
    if dry_run:
        report.records = due.count()
        totals = (
            Attachment.objects.present()
            .filter(record__in=due)
            .aggregate(files=Count("pk"), bytes=Sum("size"))
        )
        report.files, report.bytes = totals["files"], totals["bytes"] or 0
    else:
        run = _Run(storage, report)
        for ids in _batches(due):
            run.purge_batch(ids, cutoff=cutoff)
            if report.stopped:
                break
    _remove_stale_uploads(storage, report, now=now or timezone.now())
    return report


def _batches(due: QuerySet[ExecutionRecord]) -> Iterator[list[UUID]]:
    """Ids of due records, a batch at a time, by primary key: memory stays at one batch, and
    records left behind (locked by another run, or incomplete) are not looked at again."""
    last: UUID | None = None
    while True:
        page = due if last is None else due.filter(pk__gt=last)
        ids = list(page.order_by("pk").values_list("pk", flat=True)[:RECORD_BATCH])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _chunks(record_ids: list[UUID]) -> Iterator[list[tuple[Any, ...]]]:
    """The unpurged attachments of ``record_ids``, FILE_BATCH at a time (keyset pages)."""
    rows = Attachment.objects.present().filter(record_id__in=record_ids).order_by("pk")
    fields = ("pk", "record_id", "size", "storage_key", "thumbnail_key", "storage_type")
    last: UUID | None = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        chunk = list(page.values_list(*fields)[:FILE_BATCH])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


class _Run:
    """One purge run: the storage, the report, and the count of storage errors in a row."""

    def __init__(self, storage: Storage, report: PurgeReport) -> None:
        self.storage = storage
        self.storage_type = storage_type_of(storage)
        self.report = report
        self.failures_in_a_row = 0

    def purge_batch(self, ids: list[UUID], *, cutoff: datetime) -> None:
        with transaction.atomic():
            locked = list(
                records_due(cutoff=cutoff)
                .select_for_update(skip_locked=True)
                .filter(pk__in=ids)
                .order_by("pk")
                .only("pk")
            )
            if not locked:
                return
            unfinished: set[UUID] = set()
            for chunk in _chunks([record.pk for record in locked]):
                purged: list[UUID] = []
                for pk, record_id, size, storage_key, thumb_key, stored_on in chunk:
                    if stored_on != self.storage_type:
                        self._unreachable(record_id, storage_key, stored_on)
                        unfinished.add(record_id)
                        continue
                    deleted = [self._delete(record_id, key) for key in (storage_key, thumb_key)]
                    if not all(deleted):
                        unfinished.add(record_id)
                        continue
                    purged.append(pk)
                    self.report.files += 1
                    self.report.bytes += size
                if purged:
                    Attachment.objects.filter(pk__in=purged).update(purged_at=timezone.now())
            done: list[ExecutionRecord] = []
            for record in locked:
                if record.pk in unfinished or not self._sweep(record.pk):
                    self.report.incomplete += 1
                else:
                    done.append(record)
            if done:
                self._mark_purged(done)

    def _mark_purged(self, records: list[ExecutionRecord]) -> None:
        now = timezone.now()
        ExecutionRecord.objects.filter(pk__in=[r.pk for r in records]).update(purged_at=now)
        files = _files_of([r.pk for r in records])
        for record in records:
            listed = files.get(record.pk, [])
            event_append(
                record=record,
                actor=None,
                action=ExecutionEvent.Action.ATTACHMENTS_PURGED,
                data={
                    "files": listed,
                    "count": len(listed),
                    "bytes": sum(f["size"] for f in listed),
                    "grace_days": settings.ATTACHMENT_PURGE_GRACE_DAYS,
                },
            )
        self.report.records += len(records)

    def _delete(self, record_id: UUID, key: str) -> bool:
        """Deletes one stored file; True when it is gone (already missing counts as gone)."""
        if not key:
            return True
        if self.report.stopped:
            return False
        try:
            self.storage.delete(key)
        except STORAGE_ERRORS as error:
            if not is_missing(error):
                self._failed(record_id, key, error)
                return False
        self.failures_in_a_row = 0
        return True

    def _sweep(self, record_id: UUID) -> bool:
        """Deletes what is left under ``{record id}/``; True when the folder is empty."""
        if self.report.stopped:
            return False
        folder = str(record_id)
        try:
            _, names = self.storage.listdir(folder)
        except STORAGE_ERRORS as error:
            if is_missing(error):
                return True  # local storage: no folder at all
            self._failed(record_id, f"{folder}/", error)
            return False
        for name in names:
            if not self._delete(record_id, f"{folder}/{name}"):
                return False
            self.report.leftovers += 1
        if isinstance(self.storage, FileSystemStorage):
            try:
                self.storage.delete(folder)  # the empty folder itself
            except OSError:
                # Something unexpected inside (a sub-folder): harmless, worth a look.
                logger.warning("purge: record folder %s not removed", folder, exc_info=True)
        return True

    def _report_failure(self, record_id: UUID, key: str, message: str) -> None:
        self.report.failure_count += 1
        if len(self.report.failures) < FAILURES_KEPT:
            self.report.failures.append(PurgeFailure(str(record_id), key, message))

    def _unreachable(self, record_id: UUID, key: str, stored_on: str) -> None:
        """A file kept on the other backend (ATTACHMENT_STORAGE_TYPE changed since): never
        marked purged while it may still exist; named, so someone can deal with it."""
        message = f"stored on {stored_on} storage; this server uses {self.storage_type} only"
        logger.warning("purge: cannot reach %s of record %s: %s", key, record_id, message)
        self._report_failure(record_id, key, message)

    def _failed(self, record_id: UUID, key: str, error: BaseException) -> None:
        message = f"{type(error).__name__}: {error}"
        logger.warning("purge: could not delete %s of record %s: %s", key, record_id, message)
        self._report_failure(record_id, key, message)
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            self.report.stopped = True
            logger.error(
                "purge: stopped, the storage failed %s times in a row", MAX_FAILURES_IN_A_ROW
            )


def _files_of(record_ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    """For the events: every file of each record (one query), as the audit trail lists it."""
    files: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Attachment.objects.filter(record_id__in=record_ids)
        .order_by("record_id", "uploaded_at", "id")
        .values_list("record_id", "file_name", "size", "sha256", "step_number", "purged_at")
    )
    for record_id, name, size, sha256, step, purged_at in rows.iterator(chunk_size=2000):
        files[record_id].append(
            {
                "file_name": name,
                "size": size,
                "sha256": sha256,
                "step": step,
                "purged_at": purged_at.isoformat() if purged_at else None,
            }
        )
    return files


def _remove_stale_uploads(storage: Storage, report: PurgeReport, *, now: datetime) -> None:
    """Partial upload files in local storage's ``.incoming`` untouched for a day."""
    folder = incoming_dir(storage)
    if folder is None:
        return  # S3: uploads stream to the system's temporary folder, which the OS cleans
    cutoff = (now - STALE_UPLOAD_AGE).timestamp()
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return
    with entries:
        for entry in entries:
            if not (entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if not entry.is_file(follow_symlinks=False) or info.st_mtime >= cutoff:
                    continue
                if not report.dry_run:
                    os.remove(entry.path)
            except FileNotFoundError:
                continue  # the upload finished or was cleaned meanwhile
            except OSError:
                logger.warning("purge: stale upload %s not removed", entry.name, exc_info=True)
                continue
            report.stale_uploads += 1
            report.stale_upload_bytes += info.st_size
