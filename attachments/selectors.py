"""Reads for attachments. An attachment is only ever fetched through a record the user sees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from attachments.models import Attachment
from executions.models import ExecutionRecord
from sharing.policy import can_edit, visible_to

URL_NAMES = ("download", "thumbnail", "tile", "delete")
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


def attachment_visible(user: Any, pk: Any) -> Attachment:
    """The attachment if the user may see its record (the one policy); Http404 otherwise."""
    try:
        return (
            Attachment.objects.present()
            .select_related("record")
            .get(pk=pk, record__in=visible_to(user))
        )
    except (Attachment.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such attachment.") from None


def attachment_editable(user: Any, pk: Any) -> Attachment:
    """The attachment if the user may change its record: 404 when invisible, 403 read-only."""
    attachment = attachment_visible(user, pk)
    if not can_edit(user, attachment.record):
        raise PermissionDenied("You can view this record but only its executor can change it.")
    return attachment


def with_urls(attachments: Iterable[Attachment]) -> list[Attachment]:
    """Sets ``download_url``, ``thumbnail_url``, ``tile_url`` and ``delete_url`` on each.

    One reverse() per kind, not per attachment: a page with 300 files would otherwise spend
    much of its time resolving URLs.
    """
    patterns = {name: reverse(f"attachments:{name}", args=[PLACEHOLDER_ID]) for name in URL_NAMES}
    result = list(attachments)
    for attachment in result:
        pk = str(attachment.pk)
        for name, pattern in patterns.items():
            setattr(attachment, f"{name}_url", pattern.replace(PLACEHOLDER_ID, pk))
    return result


def record_attachments(record: ExecutionRecord, *, with_uploader: bool = False) -> list[Attachment]:
    """All attachments of the record, oldest first, in one query (the page needs no uploader:
    leaving out the join and 300 user objects is a tenth of a large page's time)."""
    attachments = Attachment.objects.present().filter(record=record).order_by("uploaded_at", "id")
    if with_uploader:
        attachments = attachments.select_related("uploaded_by")
    return with_urls(attachments)


def by_step(attachments: Iterable[Attachment]) -> dict[int | None, list[Attachment]]:
    """Attachments grouped by step number; ``None`` holds the record-level files."""
    grouped: dict[int | None, list[Attachment]] = defaultdict(list)
    for attachment in attachments:
        grouped[attachment.step_number].append(attachment)
    return dict(grouped)
