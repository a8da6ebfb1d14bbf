"""Deletion, restore, legal hold and retention policies (SPEC section 8).

Delete is soft: the record disappears everywhere at once (the access policy never returns
deleted records) and its files stay until the purge; administrators can restore it until then.
Audit events are never deleted: they outlive deletion, restore and purge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord, RetentionPolicy
from opscore.exceptions import Conflict
from sharing.policy import can_edit, is_administrator

Action = ExecutionEvent.Action
BATCH_SIZE = 500


@transaction.atomic
def execution_delete(*, record: ExecutionRecord, user: Any) -> ExecutionRecord:
    """Soft-deletes a record; only its executor may, and not while it is on legal hold."""
    locked = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    if locked.deleted_at is not None:
        raise Conflict("This record is already deleted.")
    if not can_edit(user, locked):
        raise PermissionDenied("Only the executor can delete this record.")
    if locked.legal_hold:
        raise Conflict("This record is on legal hold and cannot be deleted.")
    return _soft_delete(locked, actor=user, reason="deleted by its executor")


def _soft_delete(locked: ExecutionRecord, *, actor: Any, reason: str) -> ExecutionRecord:
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    event_append(record=locked, actor=actor, action=Action.DELETED, data={"reason": reason})
    return locked


@transaction.atomic
def execution_restore(*, record: ExecutionRecord, user: Any) -> ExecutionRecord:
    """Brings a deleted record back; administrators only, and only before its files are purged."""
    if not is_administrator(user):
        raise PermissionDenied("Only administrators can restore records.")
    locked = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    if locked.deleted_at is None:
        raise Conflict("This record is not deleted.")
    if locked.purged_at is not None:
        raise Conflict("The files of this record were purged; it can no longer be restored.")
    # A purge that could not delete every file leaves the record unpurged but incomplete:
    # restoring it would bring back a record with files missing.
    if locked.attachments.filter(purged_at__isnull=False).exists():
        raise Conflict("Some files of this record were purged; it can no longer be restored.")
    deleted_at = locked.deleted_at
    locked.deleted_at = None
    locked.deleted_by = None
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    event_append(
        record=locked,
        actor=user,
        action=Action.RESTORED,
        data={"deleted_at": deleted_at.isoformat()},
    )
    return locked


@transaction.atomic
def execution_set_legal_hold(*, record: ExecutionRecord, user: Any, hold: bool) -> ExecutionRecord:
    """Administrators put a record on legal hold (exempt from retention and purge) or lift it."""
    if not is_administrator(user):
        raise PermissionDenied("Only administrators can change a legal hold.")
    locked = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    if locked.legal_hold == hold:
        return locked
    locked.legal_hold = hold
    locked.save(update_fields=["legal_hold", "updated_at"])
    event_append(record=locked, actor=user, action=Action.LEGAL_HOLD, data={"legal_hold": hold})
    return locked


def records_due(policy: RetentionPolicy, *, now: Any = None) -> QuerySet[ExecutionRecord]:
    """Live records, not on hold, that ``policy`` says should go."""
    cutoff = (now or timezone.now()) - timedelta(days=policy.age_days)
    records = ExecutionRecord.objects.filter(
        deleted_at__isnull=True, legal_hold=False, started_at__lt=cutoff
    )
    if policy.procedure_id:
        records = records.filter(procedure_id=policy.procedure_id)
    if policy.status:
        records = records.filter(status=policy.status)
    return records


@dataclass
class RetentionReport:
    dry_run: bool
    by_policy: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_policy.values())


def _batches(records: QuerySet[ExecutionRecord]) -> Iterator[list[Any]]:
    """Ids of ``records`` a batch at a time, walking the primary key (keyset pagination), so
    memory holds one batch however many records are due, and rows another run holds locked
    are passed over rather than waited for."""
    last: Any = None
    while True:
        page = records.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return
        last = ids[-1]
        yield ids


def retention_apply(*, dry_run: bool = False, now: Any = None) -> RetentionReport:
    """Applies every enabled policy; soft-deletes in batches, one event per record.

    Safe to run twice or concurrently: each record is locked and re-checked before deletion,
    so a record is deleted (and gets its event) once.
    """
    report = RetentionReport(dry_run=dry_run)
    for policy in RetentionPolicy.objects.filter(enabled=True).order_by("name"):
        due = records_due(policy, now=now)
        if dry_run:
            report.by_policy[policy.name] = due.count()
            continue
        deleted = 0
        for ids in _batches(due):
            with transaction.atomic():
                for locked in (
                    ExecutionRecord.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=ids, deleted_at__isnull=True, legal_hold=False)
                    .order_by("pk")
                ):
                    _soft_delete(locked, actor=None, reason=f"retention policy {policy.name}")
                    deleted += 1
        report.by_policy[policy.name] = deleted
    return report
