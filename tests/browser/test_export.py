from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from executions import services
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_button_downloads_a_bundle_that_checks_out(
    page, live_server, alice, record, tmp_path
):
    services.execution_save_draft(record=record, user=alice, version=1, notes="Context for audit")
    services.execution_complete(record=record, user=alice)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("opscore-rotate-tls-certificate")
    assert download.suggested_filename.endswith(".zip")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with zipfile.ZipFile(path) as bundle:
        data = json.loads(bundle.read("record.json"))
        assert data["record"]["notes"] == "Context for audit"
        assert data["audit_chain"]["events"][-1]["action"] == "exported"
        for line in bundle.read("SHA256SUMS").decode().splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
