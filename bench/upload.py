"""Uploads 1 GiB through the API of a real server process; compares with a plain file copy.

SPEC section 12: a 1 GiB upload grows the server's memory by less than 64 MiB. The server is
gunicorn (one sync worker) on 127.0.0.1 with local attachment storage on the same disk as
the source file. Prints the upload's throughput against ``shutil.copyfile`` of the same file,
and the worker's peak memory growth during the upload (VmHWM after minus VmRSS before, with
the peak reset just before the upload through /proc/<pid>/clear_refs).

    .venv/bin/python bench/upload.py [--size-mib 1024] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
MiB = 1024 * 1024
PROCEDURE = "# Bench\n\n1. Upload a large file.\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def make_source(path: Path, size: int) -> str:
    """A file of ``size`` bytes that does not compress (random 1 MiB blocks); its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(MiB)
    with path.open("wb") as out:
        for index in range(size // MiB):
            chunk = index.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def request(port: int, method: str, path: str, body: dict | None, token: str = "") -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Token {token}"
    connection.request(method, path, json.dumps(body) if body else None, headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)


def stream_upload(port: int, path: str, token: str, source: Path) -> tuple[int, dict, float]:
    """POSTs ``source`` as one multipart file part, streamed from disk in 1 MiB chunks."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{source.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = source.stat().st_size
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    connection.putrequest("POST", path)
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with source.open("rb") as data:
        while chunk := data.read(MiB):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = json.loads(response.read())
    return response.status, body, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    size = args.size_mib * MiB

    (ROOT / "data").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=ROOT / "data"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}},
        "DJANGO_SETTINGS_MODULE": "opscore.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "ATTACHMENT_STORAGE_TYPE": "local",
        "ATTACHMENT_STORAGE_PATH": str(work / "attachments"),
        "ATTACHMENT_MAX_BYTES": str(2 * size),
        "LOG_LEVEL": "warning",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files
    }
    server = None
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        create_user = (
            "from django.contrib.auth.models import User; "
            "User.objects.create_user('bench', password='bench-password-1')"
        )
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-v0", "-c", create_user], cwd=ROOT, env=env, check=True
        )
        print(f"writing a {args.size_mib} MiB source file...", flush=True)
        source = work / "source.bin"
        expected_sha = make_source(source, size)

        port = free_port()
        server = subprocess.Popen(
            [GUNICORN, "opscore.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "600", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        token = request(port, "POST", "/api/v1/auth/token/",
                        {"username": "bench", "password": "bench-password-1"})["token"]  # fmt: skip
        procedure = request(port, "POST", "/api/v1/procedures/",
                            {"title": "Bench", "body": PROCEDURE}, token)  # fmt: skip
        record = request(port, "POST", "/api/v1/executions/",
                         {"procedure_version": procedure["latest_version"]["id"]}, token)  # fmt: skip
        upload_path = f"/api/v1/executions/{record['id']}/attachments/"
        # Warm-up: one small upload, so imports and caches are not counted as growth.
        warm = work / "warm.bin"
        warm.write_bytes(os.urandom(MiB))
        stream_upload(port, upload_path, token, warm)

        pid = worker_pid(server.pid)
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
        before = status_kib(pid, "VmRSS")
        status, body, upload_seconds = stream_upload(port, upload_path, token, source)
        peak = status_kib(pid, "VmHWM")
        if status != 201:
            raise RuntimeError(f"upload answered {status}: {body}")
        stored = body[0]

        copy_target = work / "copy.bin"
        start = time.perf_counter()
        shutil.copyfile(source, copy_target)
        copy_seconds = time.perf_counter() - start

        mib = size / MiB
        growth_mib = (peak - before) / 1024
        print(f"file: {mib:.0f} MiB, storage: local, disk: {work}")
        print(f"upload through the API: {upload_seconds:.2f} s = {mib / upload_seconds:.0f} MiB/s")
        print(
            f"plain copy (shutil.copyfile): {copy_seconds:.2f} s = {mib / copy_seconds:.0f} MiB/s"
        )
        print(f"upload time / copy time: {upload_seconds / copy_seconds:.1f}x")
        print(f"server worker RSS before: {before / 1024:.1f} MiB, peak during upload: "
              f"{peak / 1024:.1f} MiB, growth: {growth_mib:.1f} MiB (budget: under 64 MiB)")  # fmt: skip
        print(f"sha256 matches: {stored['sha256'] == expected_sha}, size matches: "
              f"{stored['size'] == size}")  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
