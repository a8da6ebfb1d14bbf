"""The production server's access log joins the app's log by request id (gunicorn.conf.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from opscore.config import BASE_DIR
from tests.attachments.test_s3 import free_port
from tests.conftest import clean_env


def test_access_log_lines_carry_the_request_id(tmp_path: Path):
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = clean_env(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                    ATTACHMENT_STORAGE_PATH=str(tmp_path / "files"))  # fmt: skip
    server = subprocess.Popen(
        [str(gunicorn), "opscore.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", "-"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/favicon.ico", headers={"X-Request-ID": "lb-trace-77"}
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(request, timeout=5)  # noqa: S310 (our own server)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=20)[0].decode()
    lines = [line for line in output.splitlines() if "gunicorn.access" in line]
    assert any(
        "request_id=lb-trace-77" in line and '"GET /favicon.ico' in line for line in lines
    ), output
