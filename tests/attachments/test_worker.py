"""A real Celery worker on Redis, a broker outage, and concurrent uploads (PostgreSQL).

These tests commit for real (transaction=True) so the worker thread's own database
connection sees the uploads. The broker is Redis at CELERY_TEST_BROKER_URL.
"""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from PIL import Image

from attachments import tasks
from attachments.models import Attachment
from executions.audit import verify_records
from tests.attachments.files import jpeg, png
from tests.attachments.workers import celery_broker, celery_worker
from tests.conftest import logged_in

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
THUMBNAIL_TASK = tasks.thumbnail_make.name


def upload(client, record, name: str, content: bytes):
    return client.post(
        f"/api/v1/executions/{record.pk}/attachments/",
        {"file": [SimpleUploadedFile(name, content)]},
    )


def test_a_real_worker_makes_the_thumbnail(api, record, attachment_root):
    with celery_worker() as worker:
        response = upload(api, record, "photo.jpg", jpeg((1600, 1200)))
        results = worker.wait_for(THUMBNAIL_TASK)

    assert response.status_code == 201
    assert results == ["ready"]
    attachment = Attachment.objects.get()
    assert attachment.thumbnail_status == "ready"
    thumbnail = Image.open(attachment_root / attachment.thumbnail_key)
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (400, 300))


def test_thumbnails_missed_while_the_broker_was_down_are_made_by_the_sweep(api, record):
    # Redis "stopped": the broker URL points at a closed port while the upload commits.
    with celery_broker("redis://127.0.0.1:9/4"):
        response = upload(api, record, "during-outage.png", png((800, 600)))
    assert response.status_code == 201
    assert Attachment.objects.get().thumbnail_status == "pending"

    # Redis "started" again: beat's sweep (run here by the worker) queues what was missed.
    with celery_worker() as worker:
        tasks.thumbnails_sweep.delay(0)
        sweeps = worker.wait_for(tasks.thumbnails_sweep.name)
        results = worker.wait_for(THUMBNAIL_TASK)

    assert sweeps == [1]
    assert results == ["ready"]
    assert Attachment.objects.get().thumbnail_status == "ready"


def test_sixteen_concurrent_uploads_to_one_record_are_all_stored(record, alice, attachment_root):
    contents = [png((20 + n, 20), color=(n * 15, 80, 160)) for n in range(16)]
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def send(index: int) -> None:
        client = logged_in(alice)
        barrier.wait()
        try:
            statuses.append(
                upload(client, record, f"shot-{index}.png", contents[index]).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 16
    attachments = Attachment.objects.filter(record=record)
    assert attachments.count() == 16
    for attachment in attachments:
        index = int(attachment.file_name.removeprefix("shot-").removesuffix(".png"))
        stored = (attachment_root / attachment.storage_key).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == attachment.sha256
        assert attachment.sha256 == hashlib.sha256(contents[index]).hexdigest()
    events = list(record.events.order_by("seq"))
    assert sum(e.action == "attachment_added" for e in events) == 16
    assert verify_records(record_id=record.pk).breaks == []
