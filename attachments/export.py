"""The record's files for the export bundle (executions.export): originals streamed from
storage in chunks, and small thumbnails inlined into report.html as data: URIs."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from attachments.models import Attachment
from attachments.selectors import record_attachments
from attachments.storage import attachment_storage
from executions.models import ExecutionRecord

MAX_INLINE_THUMBNAIL = 256 * 1024


def _archive_path(attachment: Attachment) -> str:
    folder = f"step-{attachment.step_number:03d}" if attachment.step_number else "record"
    # The id keeps two files of the same name apart; the name is already made safe on upload.
    name = PurePosixPath(attachment.file_name).name or "file"
    return f"attachments/{folder}/{str(attachment.pk)[:8]}-{name}"


def _thumbnail_data_uri(storage: Any, attachment: Attachment) -> str | None:
    if attachment.thumbnail_status != Attachment.ThumbnailStatus.READY:
        return None
    try:
        with storage.open(attachment.thumbnail_key, "rb") as thumb:
            data = thumb.read(MAX_INLINE_THUMBNAIL + 1)
    except Exception:  # a missing thumbnail only costs the report its picture
        return None
    if len(data) > MAX_INLINE_THUMBNAIL:
        return None
    return "data:image/webp;base64," + base64.b64encode(data).decode()


def export_entries(record: ExecutionRecord) -> Iterator[dict[str, Any]]:
    storage = attachment_storage()
    for attachment in record_attachments(record, with_uploader=True):  # purged files excluded
        yield {
            "path": _archive_path(attachment),
            "file_name": attachment.file_name,
            "size": attachment.size,
            "mime_type": attachment.mime_type,
            "sha256": attachment.sha256,
            "step": attachment.step_number,
            "uploaded_by": attachment.uploaded_by.get_username(),
            "uploaded_at": attachment.uploaded_at,
            "open": lambda key=attachment.storage_key: storage.open(key, "rb"),
            "thumbnail": _thumbnail_data_uri(storage, attachment),
        }
