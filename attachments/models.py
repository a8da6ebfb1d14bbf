from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from executions.models import ExecutionRecord

# Only these are ever decoded by Pillow, and only these may be shown inline by a browser.
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def present(self) -> AttachmentQuerySet:
        """Attachments whose files still exist (not purged with a deleted record)."""
        return self.filter(purged_at__isnull=True)


class Attachment(models.Model):
    """A file of evidence on a record, for one step or (step empty) for the run as a whole."""

    class StorageType(models.TextChoices):
        LOCAL = "local", "Local disk"
        S3 = "s3", "S3"

    class ThumbnailStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        NONE = "none", "Not an image"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(
        ExecutionRecord, on_delete=models.PROTECT, related_name="attachments"
    )
    step_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the file belongs to the record as a whole."
    )
    file_name = models.CharField(
        max_length=255, help_text="The user's name, made safe; never part of a storage key."
    )
    size = models.BigIntegerField()
    mime_type = models.CharField(max_length=127, help_text="Sniffed from the content.")
    sha256 = models.CharField(max_length=64)
    is_verified_image = models.BooleanField(
        default=False,
        help_text="Pillow verified it as PNG, JPEG, GIF or WebP; only these are shown inline.",
    )
    storage_type = models.CharField(max_length=8, choices=StorageType.choices)
    storage_key = models.CharField(max_length=255, unique=True)
    thumbnail_status = models.CharField(
        max_length=8, choices=ThumbnailStatus.choices, default=ThumbnailStatus.NONE
    )
    thumbnail_key = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the files were purged with their deleted record."
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["record", "uploaded_at", "id"]
        indexes = [
            models.Index(fields=["record", "step_number"], name="attachment_record_step_idx"),
            # The sweep looks only for thumbnails still pending: a small partial index.
            models.Index(
                fields=["uploaded_at"],
                condition=Q(thumbnail_status="pending"),
                name="attachment_pending_thumb_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_image(self) -> bool:
        return self.mime_type in IMAGE_TYPES

    @property
    def shows_inline(self) -> bool:
        return self.is_verified_image and self.mime_type in IMAGE_TYPES
