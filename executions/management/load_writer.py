"""Writing generate_load's batches: COPY on PostgreSQL (psycopg 3 ``cursor.copy``) from worker
threads, ``bulk_create`` elsewhere. See the command's docstring for the trigger handling."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep
from procedures.models import Procedure
from sharing.models import Share

RECORD_COLUMNS = (
    "id", "procedure_id", "procedure_version_id", "executor_id", "title", "status", "started_at",
    "completed_at", "variables", "notes", "access_scope", "version", "updated_at", "deleted_at",
    "deleted_by_id", "legal_hold", "audit_seq", "audit_head",
)  # fmt: skip
STEP_COLUMNS = ("record_id", "number", "description", "notes", "executed_at", "executed_by_id",
                "is_extra")  # fmt: skip
EVENT_COLUMNS = ("record_id", "seq", "actor_id", "actor_name", "action", "data", "created_at",
                 "prev_hash", "hash")  # fmt: skip
SHARE_COLUMNS = ("record_id", "user_id", "group_id", "created_by_id", "created_at")


class Batch:
    """Rows of one transaction, per table."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.step_notes: list[str | None] = []  # per record, for its search vector
        self.readers: list[list[str] | None] = []  # per record: its shares' principals
        self.steps: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.shares: list[tuple[Any, ...]] = []
        self.attachment_rows: list[tuple[uuid.UUID, int, datetime]] = []  # record, user, when
        self.attachments: list[Any] = []


class Writer:
    """Writes batches: on PostgreSQL from worker threads with their own connections, so the
    database works on two batches while this thread generates the next; in this thread when
    the caller holds a transaction (tests), which must see every row."""

    def __init__(self, *, threads: int) -> None:
        self.error: BaseException | None = None
        self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=max(threads, 1))
        self.threads = [
            threading.Thread(target=self._run, name=f"load-writer-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def put(self, rows: Batch) -> None:
        if not self.threads:
            write_batch(rows)
            return
        self._raise_error()
        self.queue.put(rows)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self._raise_error()

    def _run(self) -> None:
        try:
            for rows in iter(self.queue.get, None):
                if self.error is None:  # after a failure, drain the queue so put() never hangs
                    try:
                        write_batch(rows)
                    except BaseException as exc:
                        self.error = exc
        finally:
            connections.close_all()  # this thread's own connection

    def _raise_error(self) -> None:
        if self.error is not None:
            raise CommandError(f"Writing failed: {self.error}") from self.error


def write_batch(rows: Batch) -> None:
    with transaction.atomic():
        bulk = _skip_triggers()
        # Steps first: the records' vectors are computed from them (see the module docstring).
        _insert(ExecutionStep, STEP_COLUMNS, rows.steps)
        if bulk:
            _insert_records_with_vectors(rows)
        else:
            _insert(ExecutionRecord, RECORD_COLUMNS, rows.records)
        _insert(ExecutionEvent, EVENT_COLUMNS, rows.events)
        _insert(Share, SHARE_COLUMNS, rows.shares)
        if rows.attachments:
            type(rows.attachments[0]).objects.bulk_create(rows.attachments, batch_size=2000)
        if bulk:  # inside a caller's transaction, SET LOCAL would outlive this batch
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")


def _skip_triggers() -> bool:
    """For this transaction, skip foreign-key and search triggers (superusers only)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def _insert(model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )
        return
    _copy(model._meta.db_table, columns, rows)


def _copy(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    json_at = [i for i, c in enumerate(columns) if c in ("variables", "data")]
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in _with_json(rows, json_at):
            copy.write_row(row)


def _insert_records_with_vectors(rows: Batch) -> None:
    """Records through a temporary table, with what the triggers would have added: search
    vectors computed in the same INSERT by the function the triggers use (migration
    executions 0003) from the step notes joined here, and the shares' readers (0004)."""
    table = ExecutionRecord._meta.db_table
    columns = ", ".join(RECORD_COLUMNS)
    picked = ", ".join(f"t.{c}" for c in RECORD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE load_records (LIKE {table}, step_notes text) ON COMMIT DROP"
        )
        _copy(
            "load_records",
            (*RECORD_COLUMNS, "readers", "step_notes"),
            [
                (*record, readers, notes)
                for record, readers, notes in zip(
                    rows.records, rows.readers, rows.step_notes, strict=True
                )
            ],
        )
        # Names only, all constants of this module.
        insert = (
            f"INSERT INTO {table} ({columns}, readers, search_vector) "  # noqa: S608
            f"SELECT {picked}, t.readers, executions_search_document("
            "  t.title, p.title, t.notes, t.step_notes, t.variables) "
            f"FROM load_records t JOIN {Procedure._meta.db_table} p ON p.id = t.procedure_id"
        )
        cursor.execute(insert)
        cursor.execute("DROP TABLE load_records")  # ON COMMIT is too late inside a transaction


def analyze() -> None:
    """Fresh statistics (the planner needs them) and visibility maps (index-only scans)."""
    if connection.vendor != "postgresql":
        return
    models = (ExecutionRecord, ExecutionStep, ExecutionEvent, Share, Procedure, User)
    tables = ", ".join(m._meta.db_table for m in models)
    with connection.cursor() as cursor:
        # VACUUM cannot run inside a caller's transaction; statistics alone can.
        cursor.execute(
            f"ANALYZE {tables}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {tables}"
        )


def _with_json(rows: list[tuple[Any, ...]], json_at: list[int]) -> Iterator[tuple[Any, ...]]:
    if not json_at:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for i in json_at:
            values[i] = json.dumps(values[i], ensure_ascii=False)
        yield tuple(values)
