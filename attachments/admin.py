"""Attachments in the admin: read-only. Adding or deleting goes through the record's page or
the API, which write the audit event and keep storage and database in step."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["file_name", "record", "step_number", "size", "mime_type",
                    "thumbnail_status", "uploaded_by", "uploaded_at", "purged_at"]  # fmt: skip
    list_filter = ["thumbnail_status", "storage_type", "mime_type", "uploaded_at"]
    search_fields = ["file_name", "sha256", "record__title", "uploaded_by__username"]
    list_select_related = ["record", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    readonly_fields = ["download"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Attachment._meta.fields] + ["download"]

    @admin.display(description="File")
    def download(self, obj: Attachment) -> str:
        url = reverse("attachments:download", args=[obj.pk])
        return format_html('<a href="{}">Download {}</a>', url, obj.file_name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
