"""Writes for attachments (SPEC section 5): store, delete, thumbnails.

Storage and database never disagree. Files are written to storage first, then the rows and
audit events in one transaction that must be the outermost (``durable``): if that transaction
fails, the files just written are deleted again, so neither a storage error (no row) nor a
rolled-back transaction (no file) leaves anything behind. Deleted files go only after the
deleting transaction commits. Thumbnails are queued after commit; a broker outage never fails
an upload, the sweep queues what is left ``pending``.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from attachments.content import safe_file_name, sniff_file, verify_image
from attachments.models import IMAGE_TYPES, Attachment
from attachments.storage import (
    STORAGE_ERRORS,
    StorageUnavailable,
    attachment_storage,
    is_missing,
    open_for_streaming,
    original_key,
    storage_for,
    storage_type_of,
    thumbnail_key,
)
from attachments.thumbnails import ThumbnailRefused, render_thumbnail
from attachments.uploads import StreamedUpload
from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord
from opscore.exceptions import Conflict
from sharing.policy import can_edit

logger = logging.getLogger(__name__)
Status = Attachment.ThumbnailStatus
SPOOL_BYTES = 8 * 1024 * 1024


def check_evidence_editable(*, record: ExecutionRecord, user: Any) -> None:
    """Evidence changes only by the executor, only while the run is in progress."""
    if record.deleted_at is not None:
        raise Conflict("This record has been deleted.")
    if not can_edit(user, record):
        raise PermissionDenied("Only the executor can change this record's evidence.")
    if record.is_finished:
        raise Conflict(
            f"This run is {record.get_status_display().lower()}: its evidence is locked. "
            "Reopen it to add or delete files."
        )


def _locked(record: ExecutionRecord, user: Any) -> ExecutionRecord:
    locked = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    check_evidence_editable(record=locked, user=user)
    return locked


def _check_step(record: ExecutionRecord, step: int | None) -> None:
    if step is not None and not record.steps.filter(number=step).exists():
        raise ValidationError({"step": [f"Step {step} does not exist."]})


def _event_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "file_name": attachment.file_name,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "step": attachment.step_number,
    }


def _delete_files(keys: Sequence[str]) -> None:
    storage = attachment_storage()
    for key in keys:
        try:
            storage.delete(key)
        except STORAGE_ERRORS:
            # The row is gone already; an orphan file is invisible and harmless, a crash is not.
            logger.exception("could not delete attachment file %s", key)


def attachments_store(
    *,
    record: ExecutionRecord,
    user: Any,
    uploads: Sequence[StreamedUpload],
    step: int | None = None,
) -> list[Attachment]:
    """Stores ``uploads`` as evidence of ``record`` (``step`` or the record as a whole).

    All or nothing: every file is stored and recorded with one audit event each, or none is.
    Must not run inside another transaction (the rows' transaction is durable), so that a
    commit here is a real commit and a failure can take the stored files back.
    """
    check_evidence_editable(record=record, user=user)
    _check_step(record, step)
    if not uploads:
        raise ValidationError({"file": ["Choose at least one file."]})
    for upload in uploads:
        if not upload.size:
            raise ValidationError({"file": [f"{safe_file_name(upload.name)} is empty."]})

    storage = attachment_storage()
    storage_type = storage_type_of(storage)
    attachments: list[Attachment] = []
    stored: list[str] = []
    try:
        for upload in uploads:
            attachment_id = uuid4()
            mime_type = sniff_file(upload.file)
            upload.server_content_type = mime_type
            try:
                stored_key = storage.save(original_key(record.pk, attachment_id), upload)
            except STORAGE_ERRORS as error:
                logger.exception("attachment storage failed")
                raise StorageUnavailable(
                    "The file store did not answer; nothing was attached. Try again."
                ) from error
            stored.append(stored_key)
            attachments.append(
                Attachment(
                    id=attachment_id,
                    record_id=record.pk,
                    step_number=step,
                    file_name=safe_file_name(upload.name),
                    size=upload.size,
                    mime_type=mime_type,
                    sha256=upload.sha256,
                    is_verified_image=_verified(storage, stored_key, upload, mime_type),
                    storage_type=storage_type,
                    storage_key=stored_key,
                    thumbnail_status=Status.PENDING if mime_type in IMAGE_TYPES else Status.NONE,
                    uploaded_by=user,
                )
            )
        with transaction.atomic(durable=True):
            locked = _locked(record, user)
            _check_step(locked, step)
            Attachment.objects.bulk_create(attachments)
            for attachment in attachments:
                event_append(
                    record=locked,
                    actor=user,
                    action=ExecutionEvent.Action.ATTACHMENT_ADDED,
                    data=_event_data(attachment),
                )
                if attachment.thumbnail_status == Status.PENDING:
                    transaction.on_commit(partial(thumbnail_queue, attachment.pk))
    except BaseException:
        _delete_files(stored)
        raise
    return attachments


def _verified(storage: Any, key: str, upload: StreamedUpload, mime_type: str) -> bool:
    if mime_type not in IMAGE_TYPES:
        return False
    # Local storage moved the temporary file into place; S3 copied it and left it here.
    try:
        path = storage.path(key)
    except NotImplementedError:
        path = upload.temporary_file_path()
    return verify_image(path, mime_type)


def attachment_delete(*, attachment: Attachment, user: Any) -> None:
    """Deletes the attachment; its files go once the deletion has committed."""
    with transaction.atomic():
        locked = _locked(attachment.record, user)
        row = Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
        if row is None:
            return  # deleted by a concurrent request: the result the user asked for
        row.delete()
        event_append(
            record=locked,
            actor=user,
            action=ExecutionEvent.Action.ATTACHMENT_DELETED,
            data=_event_data(row),
        )
        keys = [key for key in (row.storage_key, row.thumbnail_key) if key]
        transaction.on_commit(lambda: _delete_files(keys), robust=True)


# ---- thumbnails ------------------------------------------------------------------------------


def thumbnail_queue(attachment_id: UUID | str) -> bool:
    """Queues the thumbnail task; False (logged) when the broker is unreachable."""
    from attachments.tasks import thumbnail_make  # the task module imports this one

    try:
        thumbnail_make.apply_async((str(attachment_id),), retry=False)
    # kombu's OperationalError, redis and socket errors all mean "broker unavailable"; the
    # upload has committed and must not fail for it: the sweep queues pending thumbnails.
    except Exception:
        logger.warning("thumbnail for attachment %s not queued: broker unavailable", attachment_id)
        return False
    return True


def thumbnails_queue_pending(
    *, older_than: timedelta = timedelta(minutes=2), limit: int = 500
) -> int:
    """Queues thumbnails left ``pending`` (a broker outage at upload); returns how many."""
    cutoff = timezone.now() - older_than
    pending = (
        Attachment.objects.present()
        .filter(thumbnail_status=Status.PENDING, uploaded_at__lte=cutoff)
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for pk in pending:
        if not thumbnail_queue(pk):
            break  # the broker is still down; the next sweep tries again
        queued += 1
    return queued


def _set_status(attachment: Attachment, status: str, **fields: Any) -> int:
    """Moves a pending thumbnail to ``status``; 0 when it is no longer pending (or gone)."""
    return Attachment.objects.filter(pk=attachment.pk, thumbnail_status=Status.PENDING).update(
        thumbnail_status=status, **fields
    )


def thumbnail_make(*, attachment_id: UUID | str) -> str:
    """Makes the thumbnail of one attachment. Idempotent: only a pending one is worked on.

    Storage errors propagate (the task retries them); an image Pillow refuses ends ``failed``.
    Returns the resulting status, for logs and tests.
    """
    attachment = Attachment.objects.present().filter(pk=attachment_id).first()
    if attachment is None:
        return "gone"
    if attachment.thumbnail_status != Status.PENDING:
        return attachment.thumbnail_status
    if attachment.mime_type not in IMAGE_TYPES:
        _set_status(attachment, Status.NONE)
        return Status.NONE
    storage = storage_for(attachment.storage_type)
    if storage is None:
        logger.warning(
            "no thumbnail for attachment %s: kept on %s storage, which this server does not use",
            attachment.pk,
            attachment.storage_type,
        )
        _set_status(attachment, Status.FAILED)
        return Status.FAILED
    try:
        data = _render_from_storage(storage, attachment)
    except ThumbnailRefused as refusal:
        logger.info("no thumbnail for attachment %s: %s", attachment.pk, refusal)
        _set_status(attachment, Status.FAILED, is_verified_image=False)
        return Status.FAILED
    except STORAGE_ERRORS as error:
        if not is_missing(error):
            raise
        _set_status(attachment, Status.FAILED)
        return Status.FAILED
    key = thumbnail_key(attachment.record_id, attachment.pk)
    if storage.exists(key):
        storage.delete(key)  # left by an attempt that died before recording it
    content = ContentFile(data)
    content.server_content_type = "image/webp"  # type: ignore[attr-defined]
    stored_key = storage.save(key, content)
    if not _set_status(attachment, Status.READY, thumbnail_key=stored_key):
        # Deleted meanwhile, or made by a twin task under another key: keep no stray file.
        kept = Attachment.objects.filter(pk=attachment.pk).values_list("thumbnail_key", flat=True)
        current = kept.first()
        if current != stored_key:
            _delete_files([stored_key])
        return "gone" if current is None else Status.READY
    return Status.READY


def _render_from_storage(storage: Any, attachment: Attachment) -> bytes:
    try:
        path = storage.path(attachment.storage_key)
    except NotImplementedError:
        path = None
    if path is not None:
        # A missing local file ends as a refusal (failed) too: there is nothing to retry.
        return render_thumbnail(path, attachment.mime_type)
    # Remote storage: copy to a local spool first, so a network error mid-way is a storage
    # error to retry, never mistaken for a corrupt image.
    with (
        contextlib.closing(open_for_streaming(storage, attachment.storage_key)) as remote,
        tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as local,
    ):
        shutil.copyfileobj(remote, local, 1024 * 1024)
        local.seek(0)
        return render_thumbnail(local, attachment.mime_type)  # type: ignore[arg-type]
