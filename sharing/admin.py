"""Shares in the admin: who can read what, to look at. Sharing changes only through the
Share dialog and the API (sharing.services), which keep ``access_scope`` and audit events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from executions.admin import ReadOnlyMixin
from sharing.models import Share
from sharing.policy import is_administrator


@admin.register(Share)
class ShareAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("record", "user", "group", "created_by", "created_at")
    list_filter = ("group",)
    list_select_related = ("record", "user", "group", "created_by")
    search_fields = ("record__title", "user__username", "group__name")
    fields = readonly_fields = ("record", "user", "group", "created_by", "created_at")
    date_hierarchy = "created_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shares name records and who reads them: administrators only, as the records.
        return is_administrator(request.user) and request.user.is_staff
