from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from procedures.models import Procedure, ProcedureVersion

LIVE = Q(deleted_at__isnull=True)


class ExecutionRecordQuerySet(models.QuerySet["ExecutionRecord"]):
    def alive(self) -> ExecutionRecordQuerySet:
        return self.filter(LIVE)

    def with_list_columns(self) -> ExecutionRecordQuerySet:
        """What every list row shows, fetched in the same query."""
        return self.select_related("procedure", "procedure_version", "executor")


class ExecutionRecord(models.Model):
    """One run of one procedure version: who, when, with which values, and how it ended."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Scope(models.TextChoices):
        PRIVATE = "private", "Private"
        SHARED = "shared", "Shared"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="executions")
    procedure_version = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="executions"
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="executions"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    access_scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.PRIVATE)
    version = models.PositiveIntegerField(
        default=1, help_text="Optimistic lock: bumped by every change to the draft fields."
    )
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    legal_hold = models.BooleanField(
        default=False, help_text="Exempts the record from retention and purge."
    )
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the files of this deleted record were purged."
    )
    # The head of the record's audit chain, written with each event (executions.audit): the
    # events alone cannot tell that their latest ones were removed, the record can.
    audit_seq = models.PositiveIntegerField(
        default=0, editable=False, help_text="Number of audit events: the seq of the latest."
    )
    audit_head = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="Hash of the latest audit event ('' before the first).",
    )

    objects = ExecutionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        permissions = [("view_all_executionrecord", "Can view all execution records")]
        # The search page's filters and orderings (SPEC section 7), on live records only: every
        # list query says ``deleted_at IS NULL``, so deleted rows cost nothing here. Each index
        # ends in started_at (and id), the tie-breakers of every ordering, so a page is read in
        # order from the index. The PostgreSQL-only GIN index over the search vector, variables,
        # readers, executor, procedure and status is in migration 0005.
        indexes = [
            models.Index(fields=["started_at", "id"], name="exec_live_started_idx", condition=LIVE),
            # Includes what "my runs of this procedure / in this status" filter on, so that
            # counting them reads only this index (PostgreSQL; other databases ignore include).
            models.Index(
                fields=["executor", "started_at", "id"],
                include=["procedure", "status"],
                name="exec_live_executor_idx",
                condition=LIVE,
            ),
            models.Index(
                fields=["procedure", "started_at", "id"],
                name="exec_live_procedure_idx",
                condition=LIVE,
            ),
            models.Index(
                fields=["status", "started_at", "id"], name="exec_live_status_idx", condition=LIVE
            ),
            models.Index(
                fields=["completed_at", "started_at", "id"],
                name="exec_live_completed_idx",
                condition=LIVE,
            ),
            models.Index(
                fields=["title", "started_at", "id"], name="exec_live_title_idx", condition=LIVE
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("executions:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.IN_PROGRESS


class ExecutionStep(models.Model):
    """A step of a run: copied from the version at start, or added by the executor."""

    record = models.ForeignKey(ExecutionRecord, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveIntegerField()
    description = models.TextField(help_text="Inline Markdown; placeholders render with values.")
    notes = models.TextField(blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_extra = models.BooleanField(default=False, help_text="Added during the run.")

    class Meta:
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="unique_step_number")
        ]

    def __str__(self) -> str:
        return f"Step {self.number}"

    @property
    def is_done(self) -> bool:
        return self.executed_at is not None


class ImmutableEventError(Exception):
    """Audit events are append-only."""


class ExecutionEventQuerySet(models.QuerySet["ExecutionEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableEventError("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise ImmutableEventError("Audit events cannot be deleted.")


class ExecutionEvent(models.Model):
    """An append-only audit event of a record, hash-chained to the one before it."""

    class Action(models.TextChoices):
        CREATED = "created", "started the execution"
        UPDATED = "updated", "saved a draft"
        STATUS_CHANGED = "status_changed", "changed the status"
        STEP_DONE = "step_done", "marked a step done"
        STEP_UNDONE = "step_undone", "marked a step not done"
        STEP_ADDED = "step_added", "added a step"
        ATTACHMENT_ADDED = "attachment_added", "attached a file"
        ATTACHMENT_DELETED = "attachment_deleted", "deleted a file"
        SHARED = "shared", "shared the record"
        UNSHARED = "unshared", "stopped sharing"
        DELETED = "deleted", "deleted the record"
        RESTORED = "restored", "restored the record"
        ATTACHMENTS_PURGED = "attachments_purged", "purged the attachments"
        EXPORTED = "exported", "exported the record"
        LEGAL_HOLD = "legal_hold", "changed the legal hold"

    record = models.ForeignKey(ExecutionRecord, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(help_text="1, 2, 3... within the record.")
    # PROTECT, like every other user an audit trail names: deleting the user would otherwise
    # update audit rows (the application never edits them). Deactivate people instead.
    # Null only for events the system writes itself (retention, purge).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="Kept as it was, for the hash.")
    action = models.CharField(max_length=32, choices=Action.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = ExecutionEventQuerySet.as_manager()

    class Meta:
        ordering = ["record", "seq"]
        constraints = [models.UniqueConstraint(fields=["record", "seq"], name="unique_event_seq")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableEventError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableEventError("Audit events cannot be deleted.")


class DeletedExecutionRecord(ExecutionRecord):
    """Deleted records, for the admin's trash (restore until the files are purged)."""

    class Meta:
        proxy = True
        verbose_name = "deleted execution record"
        verbose_name_plural = "trash: deleted execution records"


class RetentionPolicy(models.Model):
    """Soft-deletes records older than an age, for one procedure or all, one status or any."""

    name = models.CharField(max_length=100, unique=True)
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="Leave empty to apply to every procedure.",
    )
    status = models.CharField(
        max_length=16,
        choices=ExecutionRecord.Status.choices,
        blank=True,
        help_text="Leave empty for any status.",
    )
    age_days = models.PositiveIntegerField(
        help_text="Records started more than this many days ago are deleted."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(age_days__gte=1), name="retention_age_min_1")
        ]

    def __str__(self) -> str:
        return self.name
