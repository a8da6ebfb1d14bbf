"""Thumbnails: safe decoding, orientation, no metadata, idempotent tasks, the sweep."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from PIL import Image

from attachments import services, tasks
from attachments.models import Attachment
from attachments.thumbnails import ThumbnailRefused, render_thumbnail
from tests.attachments.files import (
    exif_with_gps_and_rotation,
    jpeg,
    png,
    png_bomb,
    stored_files,
    tiff,
    truncated_jpeg,
)
from tests.attachments.test_downloads import attach
from tests.attachments.workers import celery_broker

Status = Attachment.ThumbnailStatus


def open_webp(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image


# ---- rendering -------------------------------------------------------------------------------


def test_a_large_jpeg_becomes_a_webp_of_at_most_400_pixels():
    thumbnail = open_webp(render_thumbnail(io.BytesIO(jpeg((4000, 3000))), "image/jpeg"))

    assert thumbnail.size == (400, 300)


def test_exif_orientation_is_applied_and_all_metadata_is_stripped():
    source = jpeg((800, 400), exif=exif_with_gps_and_rotation())
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # GPS is in the original

    thumbnail = open_webp(render_thumbnail(io.BytesIO(source), "image/jpeg"))

    assert thumbnail.size == (200, 400)  # rotated upright: portrait
    assert not thumbnail.getexif()
    assert not thumbnail.info.get("exif")
    assert not thumbnail.info.get("icc_profile")
    assert not thumbnail.info.get("xmp")
    # The red stripe was on the left; rotated 90° clockwise it runs along the top.
    red, green, _ = thumbnail.convert("RGB").getpixel((100, 10))
    assert red > 150 > green


def test_transparent_pngs_keep_their_alpha():
    thumbnail = open_webp(
        render_thumbnail(io.BytesIO(png((600, 600), "#00000000", "RGBA")), "image/png")
    )

    assert thumbnail.mode == "RGBA"
    assert thumbnail.size == (400, 400)


def test_small_images_are_not_enlarged():
    assert open_webp(render_thumbnail(io.BytesIO(png((40, 30))), "image/png")).size == (40, 30)


@pytest.mark.parametrize(
    ("content", "claimed"),
    [
        (png_bomb(), "image/png"),
        (truncated_jpeg(), "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"),
        (tiff(), "image/png"),  # only the PNG decoder is tried for a PNG
        (tiff(), "image/tiff"),  # and TIFF is never decoded at all
        (png(), "image/jpeg"),
    ],
)
def test_bombs_corrupt_and_unexpected_formats_are_refused(content, claimed):
    with pytest.raises(ThumbnailRefused):
        render_thumbnail(io.BytesIO(content), claimed)


def test_the_pixel_cap_is_a_setting(settings):
    settings.THUMBNAIL_MAX_PIXELS = 1000

    with pytest.raises(ThumbnailRefused, match="pixel cap"):
        render_thumbnail(io.BytesIO(png((100, 100))), "image/png")


# ---- the service and the task ----------------------------------------------------------------


def test_making_a_thumbnail_stores_it_beside_the_original(record, alice, attachment_root):
    attachment = attach(record, alice, "a.jpg", jpeg())

    assert services.thumbnail_make(attachment_id=attachment.pk) == Status.READY

    attachment.refresh_from_db()
    assert attachment.thumbnail_status == Status.READY
    assert attachment.thumbnail_key == f"{record.pk}/{attachment.pk}.thumb.webp"
    assert stored_files(attachment_root) == [
        f"{record.pk}/{attachment.pk}",
        f"{record.pk}/{attachment.pk}.thumb.webp",
    ]


def test_an_original_kept_on_the_other_backend_gets_no_thumbnail_from_the_wrong_place(
    record, alice, attachment_root
):
    attachment = attach(record, alice, "a.jpg", jpeg())
    Attachment.objects.filter(pk=attachment.pk).update(storage_type="s3")
    files = stored_files(attachment_root)

    assert services.thumbnail_make(attachment_id=attachment.pk) == Status.FAILED
    assert stored_files(attachment_root) == files  # nothing read or written here


def test_making_a_thumbnail_twice_changes_nothing(record, alice, attachment_root):
    attachment = attach(record, alice, "a.png", png())
    services.thumbnail_make(attachment_id=attachment.pk)
    files = stored_files(attachment_root)

    assert services.thumbnail_make(attachment_id=attachment.pk) == Status.READY
    assert stored_files(attachment_root) == files


def test_a_thumbnail_left_by_a_dead_worker_is_replaced_not_duplicated(
    record, alice, attachment_root
):
    attachment = attach(record, alice, "a.png", png())
    leftover = attachment_root / f"{record.pk}/{attachment.pk}.thumb.webp"
    leftover.write_bytes(b"half written")

    services.thumbnail_make(attachment_id=attachment.pk)

    assert open_webp(leftover.read_bytes()).size == (64, 48)
    assert len(stored_files(attachment_root)) == 2


@pytest.mark.parametrize(
    ("name", "content"), [("bomb.png", png_bomb()), ("cut.jpg", truncated_jpeg())]
)
def test_bombs_and_corrupt_images_end_as_failed(record, alice, name, content, attachment_root):
    attachment = attach(record, alice, name, content)
    assert attachment.thumbnail_status == Status.PENDING

    assert tasks.thumbnail_make.apply(args=[str(attachment.pk)]).get() == Status.FAILED

    attachment.refresh_from_db()
    assert attachment.thumbnail_status == Status.FAILED
    assert not attachment.is_verified_image  # served as a download, never inline
    assert stored_files(attachment_root) == [f"{record.pk}/{attachment.pk}"]


def test_a_missing_original_ends_as_failed(record, alice, attachment_root):
    attachment = attach(record, alice, "a.png", png())
    (attachment_root / attachment.storage_key).unlink()

    assert services.thumbnail_make(attachment_id=attachment.pk) == Status.FAILED


def test_a_deleted_attachment_needs_no_thumbnail(record, alice):
    attachment = attach(record, alice, "a.png", png())
    Attachment.objects.filter(pk=attachment.pk).delete()

    assert services.thumbnail_make(attachment_id=attachment.pk) == "gone"


def test_storage_errors_propagate_for_the_task_to_retry(record, alice, monkeypatch):
    attachment = attach(record, alice, "a.png", png())

    def broken(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)

    with pytest.raises(OSError, match="disk full"):
        services.thumbnail_make(attachment_id=attachment.pk)
    attachment.refresh_from_db()
    assert attachment.thumbnail_status == Status.PENDING


def test_the_task_is_late_acknowledged_and_retries_storage_errors():
    task = tasks.thumbnail_make

    assert task.acks_late is True
    assert OSError in task.autoretry_for
    assert task.retry_backoff
    assert task.max_retries


def test_the_sweep_is_on_the_beat_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["attachments-thumbnails-sweep"]

    assert schedule["task"] == tasks.thumbnails_sweep.name


# ---- queueing after commit -------------------------------------------------------------------


def test_an_upload_queues_its_thumbnail_after_commit(
    api, record, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            f"/api/v1/executions/{record.pk}/attachments/",
            {"file": [io.BytesIO(png((900, 900)))]},
        )

    assert response.status_code == 201
    assert len(callbacks) == 1
    # Without a broker the task ran in-process (task_always_eager), as in the embedded default.
    assert Attachment.objects.get().thumbnail_status == Status.READY


@pytest.fixture
def broker_down():
    """The Celery app pointed at a port where nothing listens, as when Redis is stopped."""
    with celery_broker("redis://127.0.0.1:9/4"):
        yield


def test_an_upload_succeeds_while_the_broker_is_down(
    api, record, broker_down, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="attachments.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api.post(
            f"/api/v1/executions/{record.pk}/attachments/", {"file": [io.BytesIO(png())]}
        )

    assert response.status_code == 201
    assert Attachment.objects.get().thumbnail_status == Status.PENDING
    assert any("broker unavailable" in message for message in caplog.messages)
    # And the sweep, with the broker still down, queues nothing and says so by its count.
    assert services.thumbnails_queue_pending(older_than=timedelta(0)) == 0
