from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile

from django.urls import reverse
from rest_framework.test import APIClient

from executions import selectors, services
from executions.retention import execution_delete


def bundle_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def export(client, record):
    return client.get(reverse("executions:export", args=[record.pk]))


def test_bundle_holds_record_report_script_and_checksums(alice_client, record, alice):
    services.execution_save_draft(
        record=record, user=alice, version=1, notes="Context", step_notes={1: "Drained"}
    )
    services.execution_complete(record=record, user=alice)
    response = export(alice_client, record)
    assert response["Content-Disposition"].startswith('attachment; filename="opscore-')
    bundle = bundle_of(response)
    assert bundle.namelist() == ["record.json", "report.html", "verify_chain.py", "SHA256SUMS"]

    data = json.loads(bundle.read("record.json"))
    assert data["format"] == "opscore-export/1"
    assert data["record"]["status"] == "completed"
    assert data["record"]["variables"]["admin_password"] == "••••••"
    assert [s["notes"] for s in data["steps"]] == ["Drained", "", ""]
    actions = [e["action"] for e in data["audit_chain"]["events"]]
    assert actions == ["created", "updated", "status_changed", "exported"]

    report = bundle.read("report.html").decode()
    assert "Rotate TLS certificate" in report
    assert "Drained" in report
    assert "<script" not in report

    sums = {
        path: digest
        for digest, path in (
            line.split("  ") for line in bundle.read("SHA256SUMS").decode().splitlines()
        )
    }
    assert set(sums) == {"record.json", "report.html", "verify_chain.py"}
    for path, digest in sums.items():
        assert hashlib.sha256(bundle.read(path)).hexdigest() == digest


def test_bundle_verifies_offline_with_standard_tools(alice_client, record, tmp_path):
    export(alice_client, record)  # an earlier export is part of the chain too
    bundle_of(export(alice_client, record)).extractall(tmp_path)
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = subprocess.run(
        [sys.executable, "verify_chain.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert verified.returncode == 0
    assert "3 events, chain intact" in verified.stdout

    tampered = json.loads((tmp_path / "record.json").read_text())
    tampered["audit_chain"]["events"][0]["actor"] = "mallory"
    (tmp_path / "record.json").write_text(json.dumps(tampered))
    broken = subprocess.run(
        [sys.executable, "verify_chain.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert broken.returncode == 1
    assert "event 1: content does not match its hash" in broken.stdout


def verify_offline(folder, record_json: dict) -> subprocess.CompletedProcess:
    (folder / "record.json").write_text(json.dumps(record_json))
    return subprocess.run(
        [sys.executable, "verify_chain.py"], cwd=folder, capture_output=True, text=True
    )


def test_the_bundle_names_the_head_its_chain_ends_at(alice_client, record, alice):
    services.execution_complete(record=record, user=alice)
    data = json.loads(bundle_of(export(alice_client, record)).read("record.json"))
    chain = data["audit_chain"]
    exported = record.events.get(action="exported")
    assert chain["head"] == {"seq": 3, "hash": exported.hash}
    assert chain["events"][-1]["hash"] == exported.hash


def test_offline_verification_fails_when_the_last_events_are_removed(
    alice_client, record, alice, tmp_path
):
    services.execution_complete(record=record, user=alice)
    bundle_of(export(alice_client, record)).extractall(tmp_path)
    intact = json.loads((tmp_path / "record.json").read_text())

    truncated = json.loads(json.dumps(intact))
    del truncated["audit_chain"]["events"][-1]
    broken = verify_offline(tmp_path, truncated)
    assert broken.returncode == 1
    assert "BROKEN event 2: the record's chain ends at event 3 but the last event found is 2" in (
        broken.stdout
    )
    assert "2 events, chain BROKEN" in broken.stdout

    emptied = json.loads(json.dumps(intact))
    emptied["audit_chain"]["events"] = []
    broken = verify_offline(tmp_path, emptied)
    assert broken.returncode == 1
    assert "the record's chain ends at event 3 but no event was found" in broken.stdout

    headless = json.loads(json.dumps(intact))
    del headless["audit_chain"]["head"]
    broken = verify_offline(tmp_path, headless)
    assert broken.returncode == 1
    assert "record.json names no head" in broken.stdout

    assert verify_offline(tmp_path, intact).returncode == 0


def test_the_exported_chain_stops_at_the_export_event(alice_client, record, alice, monkeypatch):
    """An event appended while the bundle is built belongs to the next export."""
    read_steps = selectors.record_steps

    def steps_read_while_alice_completes_the_run(record):
        services.execution_complete(record=record, user=alice)
        return read_steps(record)

    monkeypatch.setattr(selectors, "record_steps", steps_read_while_alice_completes_the_run)
    data = json.loads(bundle_of(export(alice_client, record)).read("record.json"))
    assert [e["action"] for e in data["audit_chain"]["events"]] == ["created", "exported"]
    assert data["audit_chain"]["head"]["seq"] == 2


def test_secrets_are_absent_from_every_file(alice_client, record):
    bundle = bundle_of(export(alice_client, record))
    for name in bundle.namelist():
        assert b"hunter2" not in bundle.read(name), name


def test_each_export_is_an_audit_event(alice_client, record):
    export(alice_client, record)
    event = record.events.order_by("-seq").first()
    assert (event.action, event.actor_name) == ("exported", "alice")


def test_viewer_may_export_stranger_and_deleted_get_404(
    admin_client, charlie_client, alice_client, record, alice, client
):
    assert bundle_of(export(admin_client, record)).namelist()[0] == "record.json"
    assert export(charlie_client, record).status_code == 404
    assert export(client, record).status_code == 302  # anonymous: to the login page
    execution_delete(record=record, user=alice)
    assert export(alice_client, record).status_code == 404
    assert not record.events.filter(action="exported", actor_name="charlie").exists()


def test_api_export(alice, charlie, record):
    api = APIClient()
    api.force_authenticate(alice)
    response = api.get(f"/api/v1/executions/{record.pk}/export", HTTP_ACCEPT="application/zip")
    assert bundle_of(response).namelist()[-1] == "SHA256SUMS"
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/executions/{record.pk}/export").status_code == 404
    assert APIClient().get(f"/api/v1/executions/{record.pk}/export").status_code == 401
