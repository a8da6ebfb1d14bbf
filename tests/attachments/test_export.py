"""Evidence files in the export bundle, from local disk and from S3 (moto), memory bounded."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from attachments.models import Attachment
from tests.attachments.files import png
from tests.attachments.test_api import post_files
from tests.attachments.test_s3 import moto_endpoint, s3  # noqa: F401 - fixtures


def export_bundle(client, record) -> zipfile.ZipFile:
    response = client.get(reverse("executions:export", args=[record.pk]))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def check_bundle(bundle: zipfile.ZipFile, files: dict[str, bytes]) -> dict:
    names = bundle.namelist()
    assert names[:3] == ["record.json", "report.html", "verify_chain.py"]
    assert names[-1] == "SHA256SUMS"
    sums = {}
    for line in bundle.read("SHA256SUMS").decode().splitlines():
        digest, path = line.split("  ")
        sums[path] = digest
    assert set(sums) == set(names) - {"SHA256SUMS"}
    for path, digest in sums.items():
        assert hashlib.sha256(bundle.read(path)).hexdigest() == digest
    data = json.loads(bundle.read("record.json"))
    by_name = {entry["file_name"]: entry for entry in data["attachments"]}
    for name, content in files.items():
        entry = by_name[name]
        assert bundle.read(entry["path"]) == content
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert "open" not in entry
    return data


def test_bundle_carries_every_original_with_its_checksum(api, record):
    screenshot, log = png(), b"2026-11-30 nginx reloaded\n" * 100
    assert post_files(api, record, ("drain.png", screenshot), step=1).status_code == 201
    assert post_files(api, record, ("nginx.log", log)).status_code == 201
    data = check_bundle(export_bundle(api, record), {"drain.png": screenshot, "nginx.log": log})
    paths = sorted(entry["path"] for entry in data["attachments"])
    assert paths[0].startswith("attachments/record/") and paths[0].endswith("-nginx.log")
    assert paths[1].startswith("attachments/step-001/") and paths[1].endswith("-drain.png")


def test_the_report_shows_thumbnails_inline(api, record, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnail task runs on commit
        post_files(api, record, ("drain.png", png((800, 600))), step=1)
    assert Attachment.objects.get().thumbnail_status == "ready"
    report = export_bundle(api, record).read("report.html").decode()
    assert 'src="data:image/webp;base64,' in report
    assert "drain.png" in report


@pytest.mark.usefixtures("s3")
def test_bundle_streams_files_from_s3(api, record):
    screenshot = png((320, 200))
    assert post_files(api, record, ("on-s3.png", screenshot), step=2).status_code == 201
    assert Attachment.objects.get().storage_type == "s3"
    check_bundle(export_bundle(api, record), {"on-s3.png": screenshot})


def test_export_memory_stays_flat_for_a_large_file(api, record, attachment_root):
    """A 64 MiB file streams through the bundle without being held in memory."""
    size = 64 * 1024 * 1024
    chunk = os.urandom(1024 * 1024)
    content_digest = hashlib.sha256()
    big = attachment_root / "big.bin"
    big.parent.mkdir(parents=True, exist_ok=True)
    with big.open("wb") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
            content_digest.update(chunk)
    Attachment.objects.create(
        record=record, file_name="big.bin", size=size, mime_type="application/octet-stream",
        sha256=content_digest.hexdigest(), storage_type="local", storage_key="big.bin",
        uploaded_by=record.executor,
    )  # fmt: skip
    response = api.get(reverse("executions:export", args=[record.pk]))
    tracemalloc.start()
    received = 0
    try:
        for part in response.streaming_content:
            received += len(part)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received > size  # the file went through (random bytes do not compress)
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB"
