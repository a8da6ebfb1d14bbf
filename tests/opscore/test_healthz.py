"""GET /healthz: 200 when the database and storage answer, 503 otherwise (SPEC section 11)."""

from __future__ import annotations

import os

import pytest
from django.core.files.storage import storages

import opscore.views
from tests.attachments.test_s3 import moto_endpoint, s3  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


class BrokenConnection:
    """Stands in for the database connection the health check uses."""

    def cursor(self):
        raise OSError("could not connect to server")


def break_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(storage: object) -> None:
        raise OSError("storage unreachable")

    monkeypatch.setattr(opscore.views, "storage_check", unreachable)


def test_healthz_answers_200_json_when_database_and_storage_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_healthz_is_reachable_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "Location" not in response


def test_healthz_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_healthz_answers_503_when_storage_fails(client, monkeypatch):
    break_storage(monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "storage": "error"}


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    monkeypatch.setattr(opscore.views, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "storage": "ok"}


def test_healthz_answers_503_when_both_fail(client, monkeypatch):
    monkeypatch.setattr(opscore.views, "connection", BrokenConnection())
    break_storage(monkeypatch)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "storage": "error"}


def test_healthz_does_not_reveal_the_failure_details(client, monkeypatch):
    monkeypatch.setattr(opscore.views, "connection", BrokenConnection())

    body = client.get("/healthz").content.decode()

    assert "could not connect" not in body


def test_healthz_writes_nothing_to_storage(client, monkeypatch):
    saved = []
    monkeypatch.setattr(storages["attachments"], "save", lambda *a, **k: saved.append(a))

    client.get("/healthz")

    assert saved == []


def test_healthz_answers_head_but_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_fails_when_the_local_root_is_not_a_directory(client, settings, tmp_path):
    blocker = tmp_path / "attachments"
    blocker.write_text("a file where the folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {**settings.STORAGES["attachments"], "OPTIONS": {"location": str(blocker)}},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error"


def test_healthz_makes_a_missing_local_root_as_the_first_upload_would(client, settings, tmp_path):
    root = tmp_path / "fresh" / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {**settings.STORAGES["attachments"], "OPTIONS": {"location": str(root)}},
    }
    assert client.get("/healthz").status_code == 200
    assert root.is_dir() and list(root.iterdir()) == []


def test_healthz_fails_when_the_local_root_is_not_writable(client, settings, tmp_path, monkeypatch):
    root = tmp_path / "attachments"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {**settings.STORAGES["attachments"], "OPTIONS": {"location": str(root)}},
    }
    # CI runs as root, who may write anywhere: the permission answer is what is checked.
    asked = []
    monkeypatch.setattr(os, "access", lambda path, mode: asked.append((str(path), mode)) and False)
    assert client.get("/healthz").status_code == 503
    assert asked == [(str(root), os.W_OK | os.X_OK)]


def test_healthz_on_s3_needs_the_bucket_to_exist(client, s3, settings):  # noqa: F811
    assert client.get("/healthz").status_code == 200
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            **settings.STORAGES["attachments"],
            "OPTIONS": {**settings.STORAGES["attachments"]["OPTIONS"], "bucket_name": "absent"},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "storage": "error"}
