"""Celery tasks for attachments: thin callers of ``attachments.services``."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from attachments import purge, services
from attachments.storage import STORAGE_ERRORS

logger = logging.getLogger(__name__)


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


@shared_task(acks_late=True)
def attachments_purge() -> dict[str, int]:
    """Daily: purges the files of records deleted more than the grace period ago. Failures
    are logged one by one by the service and retried by the next run; no Celery retry."""
    report = purge.attachments_purge()
    for line in report.summary():
        logger.info("attachments purge: %s", line)
    return {"records": report.records, "files": report.files, "bytes": report.bytes,
            "incomplete": report.incomplete, "failures": report.failure_count}  # fmt: skip
