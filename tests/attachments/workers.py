"""Pointing the Celery app at a real broker for a test, and running a worker in a thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from opscore.celery import app as celery_app

# CI sets its own database index; each developer's worktree may use another.
TEST_BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _forget_connections() -> None:
    # Both pools hold connections to the previous broker (even eager runs create them).
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Tasks go to the broker at ``url`` (not run in-process) for the duration."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _forget_connections()


class TaskWatcher:
    """Counts finished tasks by name; a test waits on it instead of sleeping."""

    def __init__(self) -> None:
        self.finished: dict[str, list[Any]] = {}
        self.changed = threading.Condition()

    def on_postrun(self, sender: Any = None, retval: Any = None, **kwargs: Any) -> None:
        # The worker thread's database connection must not outlive the test.
        connections.close_all()
        with self.changed:
            self.finished.setdefault(sender.name, []).append(retval)
            self.changed.notify_all()

    def wait_for(self, name: str, count: int = 1, timeout: float = 60) -> list[Any]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.finished.get(name, [])) >= count, timeout)
            return list(self.finished.get(name, []))


@contextmanager
def celery_worker() -> Iterator[TaskWatcher]:
    """A real Celery worker (solo pool, in a thread) consuming from TEST_BROKER_URL."""
    watcher = TaskWatcher()
    task_postrun.connect(watcher.on_postrun, weak=False)
    celery_app.conf.worker_hijack_root_logger = False
    try:
        with (
            celery_broker(TEST_BROKER_URL),
            start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"),
        ):
            yield watcher
    finally:
        task_postrun.disconnect(watcher.on_postrun)
