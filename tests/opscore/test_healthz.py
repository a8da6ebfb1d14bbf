"""GET /healthz: 200 when the database and storage answer, 503 otherwise (SPEC section 11)."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

import opscore.views

pytestmark = pytest.mark.django_db


class BrokenConnection:
    """Stands in for the database connection the health check uses."""

    def cursor(self):
        raise OSError("could not connect to server")


def break_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    def exists(name: str) -> bool:
        raise OSError("storage unreachable")

    monkeypatch.setattr(storages["attachments"], "exists", exists)


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
