"""Evidence files in the export bundle, from local disk and from S3 (moto), memory bounded,
and what the bundle says when a file cannot be read."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from storages.backends.s3 import S3File

from attachments import services
from attachments.models import Attachment
from tests.attachments.files import png
from tests.attachments.storages import FailingReadStorage
from tests.attachments.test_api import post_files
from tests.attachments.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401 - fixtures

SUMMARY = ["record.json", "report.html", "verify_chain.py", "SHA256SUMS"]


def export_bundle(client, record) -> zipfile.ZipFile:
    response = client.get(reverse("executions:export", args=[record.pk]))
    assert response.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert bundle.testzip() is None  # every entry's CRC checks out
    return bundle


def checksums(bundle: zipfile.ZipFile) -> dict[str, str]:
    """SHA256SUMS as {path: digest}, each checked against the file it names."""
    sums = {}
    for line in bundle.read("SHA256SUMS").decode().splitlines():
        digest, path = line.split("  ")
        sums[path] = digest
    for path, digest in sums.items():
        assert hashlib.sha256(bundle.read(path)).hexdigest() == digest
    return sums


def check_bundle(bundle: zipfile.ZipFile, files: dict[str, bytes]) -> dict:
    names = bundle.namelist()
    # The files first: record.json, report.html and SHA256SUMS then describe what streamed.
    assert names[-4:] == SUMMARY
    assert all(name.startswith("attachments/") for name in names[:-4])
    assert set(checksums(bundle)) == set(names) - {"SHA256SUMS"}
    data = json.loads(bundle.read("record.json"))
    by_name = {entry["file_name"]: entry for entry in data["attachments"]}
    for name, content in files.items():
        entry = by_name[name]
        assert entry["missing"] is False
        assert bundle.read(entry["path"]) == content
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert "open" not in entry
        assert "on_error" not in entry
    return data


def entry_of(data: dict, file_name: str) -> dict:
    (entry,) = (e for e in data["attachments"] if e["file_name"] == file_name)
    return entry


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


# ---- files that cannot be read ---------------------------------------------------------------


@pytest.fixture
def failing_reads(settings: Any, attachment_root: Path) -> Iterator[type[FailingReadStorage]]:
    """Local attachment storage whose chosen files fail part-way through being read."""
    FailingReadStorage.failing = {}
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "tests.attachments.storages.FailingReadStorage",
            "OPTIONS": {"location": str(attachment_root), "base_url": None},
        },
    }
    yield FailingReadStorage
    FailingReadStorage.failing = {}


def export_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "attachments.export"
            and r.levelno == logging.WARNING]  # fmt: skip


def test_a_file_deleted_from_disk_is_marked_missing_and_the_bundle_still_opens(
    api, record, attachment_root, caplog, tmp_path
):
    log, screenshot = b"nginx reloaded\n", png()
    post_files(api, record, ("nginx.log", log))
    post_files(api, record, ("drain.png", screenshot), step=1)
    lost = Attachment.objects.get(file_name="drain.png")
    (attachment_root / lost.storage_key).unlink()

    bundle = export_bundle(api, record)

    data = check_bundle(bundle, {"nginx.log": log})
    entry = entry_of(data, "drain.png")
    assert entry["missing"] is True
    assert entry["missing_reason"] == "not found in storage"
    assert entry["path"] is None
    assert entry["sha256"] == lost.sha256  # what it was, for whoever finds the file again
    assert not any(str(lost.pk)[:8] in name for name in bundle.namelist())
    assert str(attachment_root) not in bundle.read("record.json").decode()
    report = bundle.read("report.html").decode()
    assert "1 file of this record was missing from storage at export time" in report
    assert "Missing from storage at export time" in report
    (warning,) = export_warnings(caplog)
    assert str(record.pk) in warning
    assert str(lost.pk) in warning

    bundle.extractall(tmp_path)
    checked = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "nginx.log: OK" in checked.stdout


@pytest.mark.usefixtures("s3")
def test_an_object_deleted_from_s3_is_marked_missing(api, record, s3, caplog):  # noqa: F811
    kept, lost = png((32, 32)), png((48, 48), color="#e5534b")
    post_files(api, record, ("kept.png", kept), step=1)
    post_files(api, record, ("lost.png", lost), step=2)
    gone = Attachment.objects.get(file_name="lost.png")
    assert gone.storage_type == "s3"
    s3.delete_object(Bucket=BUCKET, Key=f"attachments/{gone.storage_key}")

    bundle = export_bundle(api, record)

    data = check_bundle(bundle, {"kept.png": kept})
    entry = entry_of(data, "lost.png")
    assert (entry["missing"], entry["missing_reason"], entry["path"]) == (
        True, "not found in storage", None,
    )  # fmt: skip
    record_json = bundle.read("record.json").decode()
    assert BUCKET not in record_json
    assert "Missing from storage at export time" in bundle.read("report.html").decode()
    (warning,) = export_warnings(caplog)
    assert str(gone.pk) in warning


def test_a_storage_error_part_way_leaves_a_valid_zip_with_the_file_marked_incomplete(
    api, record, failing_reads, caplog
):
    big = os.urandom(1024 * 1024)  # four chunks of the zip writer
    after = b"after the failure\n"
    post_files(api, record, ("capture.pcap", big), step=1)
    post_files(api, record, ("after.log", after), step=2)
    broken = Attachment.objects.get(file_name="capture.pcap")
    failing_reads.failing = {broken.storage_key: 512 * 1024}

    bundle = export_bundle(api, record)  # testzip() is None: the archive is valid

    data = json.loads(bundle.read("record.json"))
    entry = entry_of(data, "capture.pcap")
    assert entry["missing"] is True
    assert entry["incomplete"] is True
    assert entry["bytes_in_bundle"] == 512 * 1024
    assert "only the first 524288 of 1048576 bytes" in entry["missing_reason"]
    assert bundle.read(entry["path"]) == big[: 512 * 1024]  # what was read before the error
    sums = checksums(bundle)
    assert entry["path"] not in sums  # never vouched for: it is not the evidence
    assert set(sums) == set(bundle.namelist()) - {"SHA256SUMS", entry["path"]}
    assert bundle.read(entry_of(data, "after.log")["path"]) == after  # the next file went on
    report = bundle.read("report.html").decode()
    assert "storage failed part-way at export time" in report
    assert "1 file of this record was missing from storage at export time" in report
    (warning,) = export_warnings(caplog)
    assert "incomplete" in warning
    assert str(broken.pk) in warning


def test_a_storage_error_when_opening_is_reported_without_details(
    api, record, failing_reads, attachment_root, caplog
):
    post_files(api, record, ("locked.log", b"secret path below\n"))
    locked = Attachment.objects.get()
    failing_reads.failing = {locked.storage_key: 0}  # fails at the first read

    data = check_bundle(export_bundle(api, record), {})

    entry = entry_of(data, "locked.log")
    assert (entry["missing"], entry["path"]) == (True, None)
    assert entry["missing_reason"] == "storage error; the file could not be read"
    assert "Input/output error" not in json.dumps(data)
    (record_log,) = [r for r in caplog.records if r.name == "attachments.export"]
    assert record_log.exc_info is not None  # unexpected: the operator gets the traceback


def test_a_file_stored_on_s3_is_not_looked_for_on_local_disk(api, record, attachment_root, alice):
    """After ATTACHMENT_STORAGE_TYPE went from s3 to local, the older files are out of reach:
    a local file at the same key is not theirs."""
    key = f"{record.pk}/older"
    impostor = attachment_root / key
    impostor.parent.mkdir(parents=True, exist_ok=True)
    impostor.write_bytes(b"not the evidence")
    Attachment.objects.create(
        record=record, file_name="from-s3.log", size=8, mime_type="text/plain",
        sha256="0" * 64, storage_type="s3", storage_key=key, uploaded_by=alice,
    )  # fmt: skip

    bundle = export_bundle(api, record)

    data = check_bundle(bundle, {})
    entry = entry_of(data, "from-s3.log")
    assert entry["missing"] is True
    assert entry["missing_reason"] == "stored on s3 storage; this server reads local only"
    assert entry["storage_type"] == "s3"
    assert bundle.namelist() == SUMMARY
    assert "stored on s3 storage" in bundle.read("report.html").decode()


@pytest.mark.usefixtures("s3")
def test_a_local_file_is_not_looked_for_on_s3(api, record, s3, alice):  # noqa: F811
    key = f"{record.pk}/older"
    s3.put_object(Bucket=BUCKET, Key=f"attachments/{key}", Body=b"not the evidence")
    Attachment.objects.create(
        record=record, file_name="from-disk.log", size=8, mime_type="text/plain",
        sha256="0" * 64, storage_type="local", storage_key=key, uploaded_by=alice,
    )  # fmt: skip

    data = check_bundle(export_bundle(api, record), {})

    entry = entry_of(data, "from-disk.log")
    assert entry["missing_reason"] == "stored on local storage; this server reads s3 only"


def test_a_missing_thumbnail_only_costs_the_report_its_picture(
    api, record, attachment_root, django_capture_on_commit_callbacks
):
    screenshot = png((800, 600))
    with django_capture_on_commit_callbacks(execute=True):
        post_files(api, record, ("drain.png", screenshot), step=1)
    attachment = Attachment.objects.get()
    assert attachment.thumbnail_status == "ready"
    (attachment_root / attachment.thumbnail_key).unlink()

    bundle = export_bundle(api, record)

    check_bundle(bundle, {"drain.png": screenshot})
    report = bundle.read("report.html").decode()
    assert "data:image/webp" not in report
    assert "drain.png" in report
    assert "missing from storage" not in report.lower()


def test_the_thumbnail_of_a_missing_original_still_shows(
    api, record, attachment_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_files(api, record, ("drain.png", png((800, 600))), step=1)
    attachment = Attachment.objects.get()
    (attachment_root / attachment.storage_key).unlink()
    assert services.thumbnail_make(attachment_id=attachment.pk) == "ready"  # still stored

    report = export_bundle(api, record).read("report.html").decode()

    assert 'src="data:image/webp;base64,' in report  # what the evidence looked like
    assert "Missing from storage at export time" in report


@pytest.mark.usefixtures("s3")
def test_originals_stream_from_s3_without_being_downloaded_whole(api, record, monkeypatch):
    """django-storages' S3File downloads an object whole into a spool that, by default, never
    leaves memory: a 1 GiB file would cost 1 GiB. The bundle reads the response as it comes."""
    downloaded: list[str] = []
    spool = S3File._get_file

    def spy(self):  # type: ignore[no-untyped-def]
        downloaded.append(self.name)
        return spool(self)

    monkeypatch.setattr(S3File, "file", property(spy, S3File._set_file))
    content = os.urandom(3 * 256 * 1024 + 17)
    post_files(api, record, ("dump.bin", content))
    attachment = Attachment.objects.get()

    check_bundle(export_bundle(api, record), {"dump.bin": content})
    assert attachment.storage_key not in downloaded
