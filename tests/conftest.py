"""Shared fixtures: the people of every access test, a procedure and records.

alice runs procedures (the executor), bob is a teammate a record can be shared with, charlie
has no access to anything of alice's, and admin is a superuser.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from executions import services as execution_services
from executions.models import ExecutionRecord
from procedures.models import Procedure, ProcedureVersion
from procedures.services import procedure_create

TLS_BODY = """---
variables:
  server: {label: Server, required: true, help: Host name as in the inventory.}
  port: {type: number, default: 443}
  environment: {type: choice, choices: [staging, production], default: staging}
  admin_password: {type: secret, label: Admin password}
---
# Rotate TLS certificate on {{ server }}

Replaces the certificate in {{ environment }}.

1. Drain {{ server }} from the load balancer.

   ```
   $ lbctl drain {{ server }}
   ```

2. Install the new certificate on port {{ port }} with password {{ admin_password }}.
3. Return {{ server }} to the pool.
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests (row locks, full-text search) are skipped on SQLite, visibly."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if on_postgres:
        return
    marker = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(autouse=True)
def attachment_root(settings: Any, tmp_path: Path) -> Path:
    """Local attachment storage in each test's own folder: nothing leaks between tests, and
    'nothing left behind' is checkable. Tests of S3 override STORAGES again."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(username: str, **extra: Any) -> User:
        return User.objects.create_user(username=username, password="opscore", **extra)

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def charlie(make_user: Callable[..., User]) -> User:
    return make_user("charlie")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def sre(db: Any, bob: User) -> Group:
    group = Group.objects.create(name="sre")
    group.user_set.add(bob)
    return group


SETTINGS_VARIABLES = {
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG",
    "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "TIME_ZONE", "SECURE_SSL", "LOG_LEVEL",
    # Set for the browser tests' sake; deploy checks rightly refuse it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip


def clean_env(**overrides: str) -> dict[str, str]:
    """The current environment without any OpsCore or Django setting, plus ``overrides``;
    for tests that start ``manage.py`` in a subprocess."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES
        and not key.startswith(("ATTACHMENT_", "S3_", "THUMBNAIL_"))
    }
    env.update(overrides)
    return env


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: User) -> Client:
    return logged_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return logged_in(bob)


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    return logged_in(charlie)


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return logged_in(admin_user)


@pytest.fixture
def procedure(db: Any, alice: User) -> Procedure:
    return procedure_create(title="Rotate TLS certificate", body=TLS_BODY, user=alice)


@pytest.fixture
def version(procedure: Procedure) -> ProcedureVersion:
    assert procedure.latest_version is not None
    return procedure.latest_version


@pytest.fixture
def make_record(version: ProcedureVersion, alice: User) -> Callable[..., ExecutionRecord]:
    def make(user: User | None = None, **values: Any) -> ExecutionRecord:
        values = {"server": "web-042", "admin_password": "hunter2", **values}
        return execution_services.execution_start(
            version=version, user=user or alice, values=values
        )

    return make


@pytest.fixture
def record(make_record: Callable[..., ExecutionRecord]) -> ExecutionRecord:
    return make_record()
