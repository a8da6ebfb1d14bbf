"""Streams the export bundle of a record holding a 200 MiB file and reports server memory.

Issue 8: memory stays flat however large the evidence. Runs the export view in this process
(the Django test client; local storage in a temporary folder) and prints the bundle size, the
throughput, the peak of Python allocations during the stream (tracemalloc) and the process's
peak resident memory growth (VmHWM, reset through /proc/self/clear_refs before the stream).

    .venv/bin/python bench/export.py [--size-mib 200]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from _setup import database_label, django_setup, throwaway_database

MiB = 1024 * 1024


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=200)
    args = parser.parse_args()
    django_setup()

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from attachments.models import Attachment
    from executions import services
    from procedures.services import procedure_create

    with tempfile.TemporaryDirectory() as root, throwaway_database():
        settings.STORAGES = {
            **settings.STORAGES,
            "attachments": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": root, "base_url": None},
            },
        }
        alice = User.objects.create_user("alice", password="x")
        procedure = procedure_create(title="Bench", body="# Bench\n\n1. Export.\n", user=alice)
        record = services.execution_start(version=procedure.latest_version, user=alice, values={})
        digest = hashlib.sha256()
        block = os.urandom(MiB)  # incompressible, like screenshots and archives
        key = f"{record.pk}/big"
        Path(root, str(record.pk)).mkdir()
        with Path(root, key).open("wb") as out:
            for _ in range(args.size_mib):
                out.write(block)
                digest.update(block)
        Attachment.objects.create(
            record=record, file_name="big.bin", size=args.size_mib * MiB,
            mime_type="application/octet-stream", sha256=digest.hexdigest(),
            storage_type="local", storage_key=key, uploaded_by=alice,
        )  # fmt: skip
        client = Client()
        client.force_login(alice)
        response = client.get(record.get_absolute_url() + "export")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        rss_before = _status("VmRSS")
        tracemalloc.start()
        started = time.perf_counter()
        total = sum(len(part) for part in response.streaming_content)
        elapsed = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        growth = _status("VmHWM") - rss_before
        print(f"database: {database_label()}")
        print(f"bundle: {total / MiB:.1f} MiB for a {args.size_mib} MiB file, "
              f"{elapsed:.2f} s ({total / MiB / elapsed:.0f} MiB/s)")  # fmt: skip
        print(f"peak Python allocations while streaming: {traced_peak / MiB:.2f} MiB")
        print(f"peak resident memory growth while streaming: {growth / MiB:.1f} MiB")
        print("budget: flat memory (a few MiB), however large the evidence")


if __name__ == "__main__":
    main()
