"""API representation of attachments (SPEC section 10)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework import serializers

from attachments.models import Attachment
from attachments.selectors import PLACEHOLDER_ID
from executions.models import ExecutionRecord


class AttachmentSerializer(serializers.ModelSerializer):
    step = serializers.IntegerField(source="step_number", allow_null=True, read_only=True)
    uploaded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "step", "file_name", "size", "mime_type", "sha256", "storage_type",
                  "uploaded_by", "uploaded_at", "thumbnail_status", "download_url",
                  "thumbnail_url"]  # fmt: skip
        read_only_fields = fields

    def _url(self, name: str, attachment: Attachment) -> str:
        # One reverse() per serializer and kind, not per attachment.
        cache = self.context.setdefault("_attachment_urls", {})
        if name not in cache:
            path = reverse(f"api:attachment-{name}", args=[PLACEHOLDER_ID])
            request = self.context.get("request")
            cache[name] = request.build_absolute_uri(path) if request else path
        return cache[name].replace(PLACEHOLDER_ID, str(attachment.pk))

    def get_download_url(self, attachment: Attachment) -> str:
        return self._url("download", attachment)

    def get_thumbnail_url(self, attachment: Attachment) -> str | None:
        if attachment.thumbnail_status != Attachment.ThumbnailStatus.READY:
            return None
        return self._url("thumbnail", attachment)


class UploadSerializer(serializers.Serializer):
    """For the schema: the multipart body of an upload."""

    file = serializers.ListField(child=serializers.FileField())
    step = serializers.IntegerField(required=False, allow_null=True, min_value=1)


def serialized_by_step(
    record: ExecutionRecord, context: dict[str, Any]
) -> dict[int | None, list[dict[str, Any]]]:
    """The record's attachments as API data, grouped by step number, in one query."""
    attachments = (
        Attachment.objects.present()
        .filter(record=record)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "id")
    )
    grouped: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for item in AttachmentSerializer(attachments, many=True, context=context).data:
        grouped[item["step"]].append(item)
    return dict(grouped)
