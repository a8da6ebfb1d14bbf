"""Fixtures for evidence tests (the private storage root per test is in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import logged_in


@pytest.fixture
def api(alice: Any) -> Client:
    return logged_in(alice)
