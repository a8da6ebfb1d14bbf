"""The record's files for the export bundle (executions.export): originals streamed from the
storage each was stored on, in chunks, and small thumbnails inlined into report.html as data:
URIs.

A file that cannot be read (deleted, kept on the other storage backend, a storage error when
opening or part-way) never breaks the bundle: its entry says so (``missing``, a short reason,
``incomplete`` when the bundle holds only its first bytes) and record.json and report.html
carry that, for the auditor to see. The reasons name no path, key or bucket.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files.storage import Storage

from attachments.models import Attachment
from attachments.selectors import record_attachments
from attachments.storage import (
    attachment_storage,
    is_missing,
    open_for_streaming,
    storage_for,
    storage_type_of,
)
from executions.models import ExecutionRecord

logger = logging.getLogger(__name__)

MAX_INLINE_THUMBNAIL = 256 * 1024


class FileUnavailable(Exception):
    """The file cannot be read on this server; the message says why and is safe to export."""


def _archive_path(attachment: Attachment) -> str:
    folder = f"step-{attachment.step_number:03d}" if attachment.step_number else "record"
    # The id keeps two files of the same name apart; the name is already made safe on upload.
    name = PurePosixPath(attachment.file_name).name or "file"
    return f"attachments/{folder}/{str(attachment.pk)[:8]}-{name}"


def _thumbnail_data_uri(storage: Storage | None, attachment: Attachment) -> str | None:
    if storage is None or attachment.thumbnail_status != Attachment.ThumbnailStatus.READY:
        return None
    try:
        with storage.open(attachment.thumbnail_key, "rb") as thumb:
            data = thumb.read(MAX_INLINE_THUMBNAIL + 1)
    except Exception as error:  # a missing thumbnail only costs the report its picture
        logger.info(
            "export of record %s: no thumbnail for attachment %s (%s)",
            attachment.record_id,
            attachment.pk,
            type(error).__name__,
        )
        return None
    if len(data) > MAX_INLINE_THUMBNAIL:
        return None
    return "data:image/webp;base64," + base64.b64encode(data).decode()


def _open_original(storage: Storage | None, attachment: Attachment) -> IO[bytes]:
    if storage is None:
        configured = storage_type_of(attachment_storage())
        raise FileUnavailable(
            f"stored on {attachment.storage_type} storage; this server reads {configured} only"
        )
    return open_for_streaming(storage, attachment.storage_key)


def _reason(error: Exception) -> str:
    if isinstance(error, FileUnavailable):
        return str(error)
    if is_missing(error):
        return "not found in storage"
    return "storage error; the file could not be read"


def _mark_unreadable(
    entry: dict[str, Any], attachment: Attachment, error: Exception, written: int | None
) -> None:
    """Records on the bundle's entry why the file is not in it whole (``written`` is None when
    nothing of it is in the bundle, else the bytes of the shortened copy); logs a warning."""
    entry["missing"] = True
    if written is None:
        entry["path"] = None
        entry["missing_reason"] = _reason(error)
    else:
        entry["incomplete"] = True
        entry["bytes_in_bundle"] = written
        entry["missing_reason"] = (
            f"storage error part-way: the bundle holds only the first {written} of "
            f"{attachment.size} bytes"
        )
    # Expected cases need no traceback; anything else is worth one for whoever runs storage.
    expected = isinstance(error, FileUnavailable) or is_missing(error)
    logger.warning(
        "export of record %s: attachment %s %s: %s (%s)",
        attachment.record_id,
        attachment.pk,
        "left out" if written is None else "incomplete",
        entry["missing_reason"],
        type(error).__name__,
        exc_info=None if expected else error,
    )


def export_entries(record: ExecutionRecord) -> Iterator[dict[str, Any]]:
    for attachment in record_attachments(record, with_uploader=True):  # purged files excluded
        # Each file from the storage it was stored on: after ATTACHMENT_STORAGE_TYPE changed,
        # the configured storage is not where the older files are.
        storage = storage_for(attachment.storage_type)
        entry: dict[str, Any] = {
            "path": _archive_path(attachment),
            "file_name": attachment.file_name,
            "size": attachment.size,
            "mime_type": attachment.mime_type,
            "sha256": attachment.sha256,
            "step": attachment.step_number,
            "uploaded_by": attachment.uploaded_by.get_username(),
            "uploaded_at": attachment.uploaded_at,
            "storage_type": attachment.storage_type,
            "missing": False,
            "open": partial(_open_original, storage, attachment),
            "thumbnail": _thumbnail_data_uri(storage, attachment),
        }
        entry["on_error"] = partial(_mark_unreadable, entry, attachment)
        yield entry
