"""Reads about sharing: who a record is shared with, and whom the Share dialog suggests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet

from executions.models import ExecutionRecord
from sharing.models import Share

SUGGESTION_LIMIT = 8


@dataclass(frozen=True)
class Sharing:
    """Who a record is shared with, as the page, the dialog and the API show it."""

    access_scope: str
    users: tuple[str, ...] = ()  # usernames, sorted
    groups: tuple[str, ...] = ()  # group names, sorted
    user_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()

    @property
    def is_shared(self) -> bool:
        return self.access_scope == ExecutionRecord.Scope.SHARED

    @property
    def audience(self) -> str:
        """'bob, carol, group sre': whom it is shared with, in one line."""
        return ", ".join([*self.users, *(f"group {name}" for name in self.groups)])

    def as_dict(self) -> dict[str, Any]:
        return {"access_scope": self.access_scope, "users": list(self.users),
                "groups": list(self.groups)}  # fmt: skip


def sharing_from(record: ExecutionRecord, shares: Iterable[Share]) -> Sharing:
    """``shares`` must come with their user and group (select_related or prefetched)."""
    shares = list(shares)
    return Sharing(
        access_scope=record.access_scope,
        users=tuple(sorted(s.user.get_username() for s in shares if s.user is not None)),
        groups=tuple(sorted(s.group.name for s in shares if s.group is not None)),
        user_ids=frozenset(s.user_id for s in shares if s.user_id),
        group_ids=frozenset(s.group_id for s in shares if s.group_id),
    )


def sharing_of(record: ExecutionRecord) -> Sharing:
    """One query: the record's shares with their users and groups."""
    return sharing_from(record, Share.objects.filter(record=record).select_related("user", "group"))


def is_shared_with(user: Any, sharing: Sharing) -> bool:
    """Whether ``sharing`` reaches ``user`` (the viewer's banner); a query only for groups."""
    if user.pk in sharing.user_ids:
        return True
    return bool(sharing.group_ids) and user.groups.filter(pk__in=sharing.group_ids).exists()


def user_suggestions(
    record: ExecutionRecord, query: str, exclude: Sequence[str] = ()
) -> QuerySet[Any]:
    """Active people matching ``query`` by username or name, minus the executor and
    those already chosen."""
    query = query.strip()
    users = get_user_model().objects.filter(is_active=True).exclude(pk=record.executor_id)
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return users.exclude(username__in=list(exclude)).order_by("username")[:SUGGESTION_LIMIT]


def group_suggestions(query: str, exclude: Sequence[str] = ()) -> QuerySet[Group]:
    """Groups matching ``query``, with their member counts, minus those already chosen."""
    groups = Group.objects.exclude(name__in=list(exclude))
    if query.strip():
        groups = groups.filter(name__icontains=query.strip())
    members = Count("user", filter=Q(user__is_active=True))
    return groups.annotate(members=members).order_by("name")[:SUGGESTION_LIMIT]
