"""Admin for administrators: browse every record, the trash with Restore, legal holds,
retention policies, and the audit log read-only. Actions call the same services as the app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from executions import retention
from executions.models import (
    DeletedExecutionRecord,
    ExecutionEvent,
    ExecutionRecord,
    ExecutionStep,
    RetentionPolicy,
)
from executions.timeline import describe
from opscore.exceptions import Conflict
from sharing.models import Share
from sharing.policy import is_administrator


class ReadOnlyMixin:
    """Records change only through the application's services; the admin looks and acts."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(ReadOnlyMixin, admin.TabularInline):
    model = ExecutionStep
    fields = readonly_fields = ("number", "description", "notes", "executed_at", "executed_by")
    extra = 0


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = ExecutionEvent
    fields = readonly_fields = (
        "seq",
        "created_at",
        "actor_name",
        "action",
        "summary",
        "data",
        "hash",
    )
    extra = 0
    ordering = ["-seq"]

    @admin.display(description="what happened")
    def summary(self, event: ExecutionEvent) -> str:
        # The record page is gone once a record is deleted: the trash is where the purge and
        # the rest of its timeline stay readable.
        entry = describe(event)
        return format_html("{}<br>{}", entry.sentence, entry.detail)


def _each(request: HttpRequest, queryset: QuerySet, action: Any, done: str) -> None:
    count = 0
    for record in queryset:
        try:
            action(record)
            count += 1
        except (Conflict, PermissionDenied) as exc:
            messages.warning(request, f"{record}: {exc}")
    if count:
        messages.success(request, f"{count} records {done}.")


class ShareInline(ReadOnlyMixin, admin.TabularInline):
    model = Share
    fields = readonly_fields = ("user", "group", "created_by", "created_at")
    extra = 0
    verbose_name_plural = "shared with (change through the Share dialog or the API)"


class RecordAdminBase(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "procedure", "executor", "status", "started_at", "legal_hold"]
    list_filter = ["status", "access_scope", "legal_hold", "procedure", "started_at"]
    search_fields = ["title", "notes", "executor__username", "procedure__title", "id"]
    list_select_related = ["procedure", "executor"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "id", "title", "procedure", "procedure_version", "executor", "status", "started_at",
        "completed_at", "variables", "notes", "access_scope", "version", "legal_hold",
        "deleted_at", "deleted_by", "purged_at", "audit_seq", "audit_head",
    ]  # fmt: skip
    inlines = [StepInline, ShareInline, EventInline]
    actions = ["place_legal_hold", "lift_legal_hold"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and request.user.is_staff

    @admin.action(description="Place on legal hold (exempt from retention and purge)")
    def place_legal_hold(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request, queryset,
            lambda r: retention.execution_set_legal_hold(record=r, user=request.user, hold=True),
            "placed on legal hold",
        )  # fmt: skip

    @admin.action(description="Lift the legal hold")
    def lift_legal_hold(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request, queryset,
            lambda r: retention.execution_set_legal_hold(record=r, user=request.user, hold=False),
            "released from legal hold",
        )  # fmt: skip


@admin.register(ExecutionRecord)
class ExecutionRecordAdmin(RecordAdminBase):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(deleted_at__isnull=True)


@admin.register(DeletedExecutionRecord)
class DeletedExecutionRecordAdmin(RecordAdminBase):
    list_display = ["title", "executor", "deleted_at", "deleted_by", "purged_at", "legal_hold"]
    list_filter = ["deleted_at", "legal_hold", "procedure"]
    date_hierarchy = "deleted_at"
    actions = ["restore", "place_legal_hold", "lift_legal_hold"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(deleted_at__isnull=False)

    @admin.action(description="Restore (until the files are purged)")
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request, queryset,
            lambda r: retention.execution_restore(record=r, user=request.user),
            "restored",
        )  # fmt: skip


@admin.register(ExecutionEvent)
class ExecutionEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit log: append-only; no one adds, changes or deletes events here."""

    list_display = ["created_at", "record", "seq", "actor_name", "action"]
    list_filter = ["action", "created_at"]
    search_fields = ["record__id", "record__title", "actor_name"]
    list_select_related = ["record"]
    readonly_fields = [
        "record", "seq", "actor", "actor_name", "action", "data", "created_at", "prev_hash",
        "hash",
    ]  # fmt: skip

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # not even the bulk delete action


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "procedure", "status", "age_days", "enabled", "updated_at"]
    list_filter = ["enabled", "status"]
    search_fields = ["name"]
