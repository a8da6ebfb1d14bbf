"""The cast of the access tests, beyond tests/conftest.py's alice, bob, charlie and admin.

gina is in the ``auditors`` group the record is shared with; vera holds the view-all
permission; ivan was given access (directly and through auditors) and has since been
deactivated. ``shared_record`` is alice's record, shared with bob and with auditors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User

from executions.models import ExecutionRecord
from sharing.services import share_set


@pytest.fixture
def gina(make_user: Callable[..., User]) -> User:
    return make_user("gina", first_name="Gina", last_name="Moreau")


@pytest.fixture
def auditors(db: Any, gina: User) -> Group:
    group = Group.objects.create(name="auditors")
    group.user_set.add(gina)
    return group


@pytest.fixture
def vera(make_user: Callable[..., User]) -> User:
    user = make_user("vera")
    user.user_permissions.add(Permission.objects.get(codename="view_all_executionrecord"))
    return user


@pytest.fixture
def ivan(make_user: Callable[..., User]) -> User:
    return make_user("ivan")


@pytest.fixture
def shared_record(
    record: ExecutionRecord, alice: User, bob: User, auditors: Group, ivan: User
) -> ExecutionRecord:
    auditors.user_set.add(ivan)
    share_set(
        record=record,
        user=alice,
        access_scope="shared",
        usernames=["bob", "ivan"],
        group_names=["auditors"],
    )
    ivan.is_active = False  # left the company after being given access
    ivan.save(update_fields=["is_active"])
    record.refresh_from_db()
    return record
