"""What S3 objects say they are: only inert image types, everything else opaque."""

from __future__ import annotations

import pytest

from attachments.models import Attachment
from tests.attachments.files import SCRIPTED_SVG, png
from tests.attachments.test_s3 import BUCKET, moto_endpoint, s3, upload  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("page.html", HTML, "text/html"),
        ("logo.svg", SCRIPTED_SVG, "image/svg+xml"),
        ("notes.txt", b"plain words\n", "text/plain"),
    ],
)
def test_anything_a_browser_could_run_is_stored_opaque(api, record, s3, name, content, claimed):  # noqa: F811
    assert upload(api, record, f'filename="{name}"', content, claimed).status_code == 201
    attachment = Attachment.objects.get()
    stored = s3.get_object(Bucket=BUCKET, Key=f"attachments/{attachment.storage_key}")
    assert stored["ContentType"] == "application/octet-stream"
    assert stored["Body"].read() == content


def test_images_keep_their_type(api, record, s3):  # noqa: F811
    # (Thumbnails are stored as image/webp: test_s3.py.)
    upload(api, record, 'filename="graph.png"', png((900, 600)), "image/png")
    attachment = Attachment.objects.get()
    original = s3.get_object(Bucket=BUCKET, Key=f"attachments/{attachment.storage_key}")
    assert original["ContentType"] == "image/png"


def test_opening_a_big_object_spools_it_to_disk_not_memory(s3, settings):  # noqa: F811
    # The thumbnail task opens originals through the storage: a big one must not sit in memory.
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from opscore.config import load_config

    settings.STORAGES["attachments"]["OPTIONS"]["max_memory_size"] = load_config(
        {"ATTACHMENT_STORAGE_TYPE": "s3", "S3_BUCKET": BUCKET, "DEBUG": "1"}
    ).s3["max_memory_size"]
    storage = storages.create_storage(settings.STORAGES["attachments"])
    name = storage.save("big/object", ContentFile(b"x" * (9 * 1024 * 1024)))
    with storage.open(name, "rb") as stored:
        assert stored.read(4) == b"xxxx"
        assert stored.file._rolled  # on disk past 8 MiB
