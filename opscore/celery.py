"""The Celery app. Without CELERY_BROKER_URL, settings make every task run in-process."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opscore.settings")

app = Celery("opscore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs: object) -> None:
    """Worker and beat log through settings.LOGGING, one line per event like the web process,
    instead of Celery's own multi-line format (connecting this signal stops Celery's setup)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
