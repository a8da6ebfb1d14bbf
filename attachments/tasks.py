"""Celery tasks for attachments: thin callers of ``attachments.services``."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from attachments import services
from attachments.storage import STORAGE_ERRORS


@shared_task(
    acks_late=True,
    # Storage unreachable: try again later, backing off (5 s, 10 s, 20 s... at most 10 min).
    autoretry_for=STORAGE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def thumbnail_make(attachment_id: str) -> str:
    """Makes one thumbnail; safe to run twice (only a pending thumbnail is worked on)."""
    return services.thumbnail_make(attachment_id=attachment_id)


@shared_task(acks_late=True)
def thumbnails_sweep(older_than_seconds: int = 120) -> int:
    """Queues thumbnails left pending, e.g. by a broker outage while an upload committed."""
    return services.thumbnails_queue_pending(older_than=timedelta(seconds=older_than_seconds))
