"""Periodic work for records: retention (daily). Tasks are thin callers of services."""

from __future__ import annotations

import logging

from celery import shared_task

from executions.retention import retention_apply

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def apply_retention_policies() -> int:
    report = retention_apply()
    logger.info("retention: deleted %s records %s", report.total, report.by_policy)
    return report.total
