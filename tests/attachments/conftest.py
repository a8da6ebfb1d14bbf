"""Fixtures for evidence tests (the private storage root per test is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.attachments.storages import FlakyStorage
from tests.conftest import logged_in


@pytest.fixture
def api(alice: Any) -> Client:
    return logged_in(alice)


@pytest.fixture
def flaky(settings: Any, attachment_root: Path) -> Iterator[type[FlakyStorage]]:
    """Local attachment storage that records deletes and fails the ones a test chooses."""
    FlakyStorage.reset()
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "tests.attachments.storages.FlakyStorage",
            "OPTIONS": {"location": str(attachment_root), "base_url": None},
        },
    }
    yield FlakyStorage
    FlakyStorage.reset()
