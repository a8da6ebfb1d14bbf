"""`manage.py generate_load --records N [--seed S]`: realistic data for benchmarks.

Several procedures with many versions, 45 users in three groups, two years of runs with mixed
statuses, five steps each, variables (server, cluster, region...), notes, shares, a consistent
audit chain per record (its head on the record, as event_append keeps it) and, once the
attachments app has its model, an attachment per ten records. Deterministic for a seed (apart
from "now").

On PostgreSQL, rows go in with COPY (psycopg 3 ``cursor.copy``), one transaction per batch,
written by worker threads (``--writers``) while this one generates the next batches. As a
superuser the load skips triggers (foreign-key checks and the search triggers of migrations
executions 0003 and 0004; the rows are consistent by construction): records then go through a
temporary table and one INSERT ... SELECT that adds their search vectors and readers in bulk.
Otherwise the triggers run, which is about twice as slow. Elsewhere (SQLite, in tests) the
same rows go through ``bulk_create``.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from executions.audit import GENESIS, canonical_form
from executions.management.load_catalogue import (
    AUDITORS,
    BOTS,
    GROUPS,
    HUMANS,
    RECORD_NOTES,
    RUNBOOKS,
    STEP_NOTES,
    Runbook,
    fill,
    runbook_body,
    values_for,
)
from executions.management.load_writer import Batch, Writer, analyze
from procedures.models import Procedure, ProcedureVersion
from procedures.services import procedure_create, procedure_version_add

SPAN = timedelta(days=730)
AUDITOR_SHARES = 5


class Command(BaseCommand):
    help = "Fill the database with N realistic execution records (benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--records", type=int, required=True, help="how many records")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--batch", type=int, default=20_000, help="records per transaction")
        parser.add_argument(
            "--writers", type=int, default=2, help="PostgreSQL connections writing (default 2)"
        )

    def handle(
        self, *args: Any, records: int, seed: int, batch: int, writers: int, **options: Any
    ) -> None:
        if records < 1 or batch < 1 or writers < 1:
            raise CommandError("--records, --batch and --writers must be positive.")
        began = time.monotonic()
        self.rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
        self._people()
        self._procedures()
        self.now = timezone.now().replace(microsecond=0)
        self.start = self.now - SPAN
        self.total = records
        auditor_picks = set(self.rng.sample(range(records), min(AUDITOR_SHARES, records)))
        pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
        writer = Writer(threads=writers if pipelined else 0)
        written = 0
        try:
            while written < records:
                size = min(batch, records - written)
                rows = Batch()
                for index in range(written, written + size):
                    self._record(rows, index, index in auditor_picks)
                rows.attachments = self._attachments(rows.attachment_rows)
                writer.put(rows)
                written += size
                rate = written / (time.monotonic() - began)
                self.stdout.write(f"{written:>9,} records  ({rate:,.0f}/s)")
        finally:
            writer.close()
        analyze()
        self.stdout.write(
            self.style.SUCCESS(f"{records:,} records in {time.monotonic() - began:.0f} s")
        )

    # ---- reference data ---------------------------------------------------------------------

    def _people(self) -> None:
        password = make_password("opscore")  # hashed once: the users are for benchmarks
        self.users: dict[str, User] = {}
        for name in [*HUMANS, *BOTS, *AUDITORS]:
            self.users[name], _ = User.objects.get_or_create(
                username=name, defaults={"password": password, "email": f"{name}@example.com"}
            )
        self.groups = {}
        for name, members in GROUPS.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.user_set.add(*(self.users[m] for m in members))
            self.groups[name] = group
        # Humans run different amounts: a few do most of the work, as in real teams.
        self.human_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(HUMANS))]

    def _procedures(self) -> None:
        author = self.users["alice"]
        self.versions: dict[str, list[ProcedureVersion]] = {}
        for runbook in RUNBOOKS:
            key = f"generate_load:{runbook.title}"
            procedure = Procedure.objects.filter(import_key=key).first()
            if procedure is None:
                procedure = procedure_create(
                    title=runbook.title, body=runbook_body(runbook, 1), user=author
                )
                Procedure.objects.filter(pk=procedure.pk).update(import_key=key)
            for number in range(2, runbook.versions + 1):
                procedure_version_add(
                    procedure=procedure, body=runbook_body(runbook, number), user=author
                )
            self.versions[runbook.title] = list(procedure.versions.order_by("number"))
        self.runbook_weights = [r.weight for r in RUNBOOKS]

    # ---- one record -------------------------------------------------------------------------

    def _record(self, rows: Batch, index: int, for_auditor: bool) -> None:
        rng = self.rng
        runbook: Runbook = rng.choices(RUNBOOKS, self.runbook_weights)[0]
        # Stratified over two years, so records arrive in time order as in production.
        started = self.start + SPAN * ((index + rng.random()) / self.total)
        progress = index / self.total
        versions = self.versions[runbook.title]
        version = versions[min(len(versions) - 1, int(progress * len(versions) + rng.random()))]
        executor = self._executor(runbook)
        values = values_for(runbook, rng)
        status = self._status(started)
        record_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        title = self._title(runbook, values, started)
        notes = fill(rng.choice(RECORD_NOTES), values, rng) if rng.random() < 0.25 else ""
        done_steps = {"completed": 5, "failed": rng.randint(0, 4)}.get(status, rng.randint(0, 4))
        when = started
        all_notes: list[str] = []
        events = [("created", {"procedure": runbook.title, "procedure_version": version.number,
                               "title": title, "variables": values}, started)]  # fmt: skip
        for number, description in enumerate(runbook.steps, start=1):
            executed_at = None
            step_notes = ""
            if number <= done_steps:
                when = when + timedelta(seconds=rng.randint(30, 900))
                executed_at = when
                if rng.random() < 0.35:
                    step_notes = fill(rng.choice(STEP_NOTES), values, rng)
                events.append(("step_done", {"step": number}, when))
            all_notes.append(step_notes)
            rows.steps.append((record_id, number, description, step_notes, executed_at,
                               executor.pk if executed_at else None, False))  # fmt: skip
        completed = None
        if status != "in_progress":
            completed = when + timedelta(seconds=rng.randint(10, 600))
            change: dict[str, Any] = {"from": "in_progress", "to": status}
            if status == "failed":
                change["reason"] = "Aborted, see notes."
            events.append(("status_changed", change, completed))
        scope = "private"
        shared_before = len(rows.shares)
        if for_auditor or rng.random() < 0.15:
            scope = "shared"
            self._shares(rows, record_id, executor, started, for_auditor)
            events.append(("shared", {"scope": "shared"}, started + timedelta(minutes=1)))
        deleted = None
        if rng.random() < 0.01:
            deleted = (completed or when) + timedelta(days=rng.randint(1, 30))
            if deleted < self.now:
                events.append(("deleted", {}, deleted))
            else:
                deleted = None
        updated = max(e[2] for e in events)
        head = self._events(rows, record_id, executor, events)
        rows.records.append((
            record_id, version.procedure_id, version.pk, executor.pk, title, status, started,
            completed, values, notes, scope, len(events), updated, deleted,
            executor.pk if deleted else None, False, len(events), head,
        ))  # fmt: skip
        rows.step_notes.append(" ".join(n for n in all_notes if n) or None)
        rows.readers.append(
            sorted(f"u{user}" if user else f"g{group}"
                   for _, user, group, _, _ in rows.shares[shared_before:]) or None
        )  # fmt: skip
        if index % 10 == 0:
            rows.attachment_rows.append((record_id, executor.pk, started))

    def _executor(self, runbook: Runbook) -> User:
        if runbook.runners == "bot":
            return self.users["ops-bot"]
        if runbook.runners == "deploy" and self.rng.random() < 0.8:
            return self.users["deploy-bot"]
        return self.users[self.rng.choices(HUMANS, self.human_weights)[0]]

    def _status(self, started: datetime) -> str:
        roll = self.rng.random()
        if self.now - started < timedelta(days=2):
            return "in_progress" if roll < 0.5 else "completed"
        return "completed" if roll < 0.9 else "failed" if roll < 0.97 else "in_progress"

    def _title(self, runbook: Runbook, values: dict[str, str], started: datetime) -> str:
        if runbook.title_pattern and self.rng.random() < 0.7:
            return fill(runbook.title_pattern, values, self.rng)[:200]
        return f"{runbook.title}, {timezone.localtime(started):%Y-%m-%d %H:%M}"

    def _shares(
        self, rows: Batch, record_id: uuid.UUID, executor: User, when: datetime, auditor: bool
    ) -> None:
        at = when + timedelta(minutes=1)
        if auditor:
            rows.shares.append((record_id, self.users["auditor"].pk, None, executor.pk, at))
            return
        roll = self.rng.random()
        if roll < 0.85:
            group = self.groups["sre" if roll < 0.55 else "dba" if roll < 0.75 else "network"]
            rows.shares.append((record_id, None, group.pk, executor.pk, at))
        else:
            for name in self.rng.sample(HUMANS, 2):
                if name != executor.username:
                    rows.shares.append((record_id, self.users[name].pk, None, executor.pk, at))

    def _events(
        self,
        rows: Batch,
        record_id: uuid.UUID,
        actor: User,
        events: Sequence[tuple[str, dict[str, Any], datetime]],
    ) -> str:
        """The record's audit chain, hashed exactly as executions.audit.event_append does;
        returns the hash of the latest event, the record's head."""
        prev = GENESIS
        rid = str(record_id)
        for seq, (action, data, at) in enumerate(events, start=1):
            digest = hashlib.sha256(
                canonical_form(record_id=rid, seq=seq, actor_name=actor.username, action=action,
                               data=data, created_at=at, prev_hash=prev)
            ).hexdigest()  # fmt: skip
            rows.events.append((record_id, seq, actor.pk, actor.username, action, data, at,
                                prev, digest))  # fmt: skip
            prev = digest
        return prev

    def _attachments(self, rows: list[tuple[uuid.UUID, int, datetime]]) -> list[Any]:
        """One attachment row per ten records, once the attachments app has its model."""
        try:
            model = apps.get_model("attachments", "Attachment")
        except LookupError:
            return []
        names = {f.name for f in model._meta.get_fields()}
        objects = []
        for record_id, user_id, at in rows:
            attachment_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
            fields = {
                "id": attachment_id, "record_id": record_id, "step_number": 1, "step": 1,
                "file_name": "screenshot.png", "size": 48_213, "mime_type": "image/png",
                "sha256": hashlib.sha256(attachment_id.bytes).hexdigest(),
                "storage_type": "local", "storage_key": f"{record_id}/{attachment_id}",
                "uploaded_by_id": user_id, "uploaded_at": at, "thumbnail_status": "ready",
            }  # fmt: skip
            known = {k: v for k, v in fields.items() if k.removesuffix("_id") in names}
            objects.append(model(**known))
        return objects
