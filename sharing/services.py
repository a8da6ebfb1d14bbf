"""Sharing a record with users and groups, and making it private again (SPEC section 6).

Only the executor changes who sees a record. Each service locks the record row through the
policy (404 when invisible, 403 when read-only), replaces the shares, keeps ``access_scope`` in
step (shared exactly when a share exists) and writes what changed to the audit trail: one
``shared`` event for those added, one ``unshared`` event for those removed. Sharing is not a
draft field, so it leaves the record's ``version`` alone: an open Save Draft stays valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord
from sharing.models import Share
from sharing.policy import get_editable_record
from sharing.selectors import Sharing, sharing_from

Scope = ExecutionRecord.Scope
MAX_RECIPIENTS = 100
NOTHING_CHOSEN = (
    "Choose at least one person or group to share with, or choose Private to stop sharing."
)


def clean_names(names: Iterable[str]) -> list[str]:
    """Stripped, without blanks and repeats, in the order given."""
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def _resolve_users(
    record: ExecutionRecord, usernames: Sequence[str], shared_ids: set[int]
) -> tuple[list[Any], list[str]]:
    """The accounts named, and what is wrong with the names (each problem names them)."""
    if len(usernames) > MAX_RECIPIENTS:
        return [], [f"Share with at most {MAX_RECIPIENTS} people at once; use a group for more."]
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    unknown = [n for n in usernames if n not in found]
    users = [found[n] for n in usernames if n in found]
    # Someone deactivated after being given access may stay listed; nobody new who cannot log in.
    inactive = [u.get_username() for u in users if not u.is_active and u.pk not in shared_ids]
    executor = [u.get_username() for u in users if u.pk == record.executor_id]
    problems = []
    if unknown:
        problems.append(f"No such user: {', '.join(unknown)}.")
    if inactive:
        problems.append(f"Deactivated accounts cannot be given access: {', '.join(inactive)}.")
    if executor:
        problems.append(f"{executor[0]} ran this record and always sees it; no need to share.")
    return users, problems


def _resolve_groups(names: Sequence[str]) -> tuple[list[Group], list[str]]:
    if len(names) > MAX_RECIPIENTS:
        return [], [f"Share with at most {MAX_RECIPIENTS} groups at once."]
    found = {g.name: g for g in Group.objects.filter(name__in=names)}
    unknown = [n for n in names if n not in found]
    problems = [f"No such group: {', '.join(unknown)}."] if unknown else []
    return [found[n] for n in names if n in found], problems


def _names(shares: Iterable[Share]) -> dict[str, list[str]]:
    shares = list(shares)
    return {
        "users": sorted(s.user.get_username() for s in shares if s.user is not None),
        "groups": sorted(s.group.name for s in shares if s.group is not None),
    }


def _replace(
    record: ExecutionRecord,
    actor: Any,
    current: list[Share],
    users: Sequence[Any],
    groups: Sequence[Group],
) -> Sharing:
    wanted_users = {u.pk for u in users}
    wanted_groups = {g.pk for g in groups}
    removed = [
        s
        for s in current
        if (s.user_id and s.user_id not in wanted_users)
        or (s.group_id and s.group_id not in wanted_groups)
    ]
    kept = [s for s in current if s not in removed]
    had_users = {s.user_id for s in kept if s.user_id}
    had_groups = {s.group_id for s in kept if s.group_id}
    added = [Share(record=record, user=u, created_by=actor) for u in users if u.pk not in had_users]
    added += [
        Share(record=record, group=g, created_by=actor) for g in groups if g.pk not in had_groups
    ]
    if removed:
        Share.objects.filter(pk__in=[s.pk for s in removed]).delete()
        event_append(
            record=record, actor=actor, action=ExecutionEvent.Action.UNSHARED, data=_names(removed)
        )
    if added:
        Share.objects.bulk_create(added)
        event_append(
            record=record, actor=actor, action=ExecutionEvent.Action.SHARED, data=_names(added)
        )
    scope = Scope.SHARED if kept or added else Scope.PRIVATE
    if record.access_scope != scope:
        record.access_scope = scope
        record.save(update_fields=["access_scope", "updated_at"])
    return sharing_from(record, [*kept, *added])


@transaction.atomic
def share_set(
    *,
    record: ExecutionRecord,
    user: Any,
    access_scope: str,
    usernames: Iterable[str] = (),
    group_names: Iterable[str] = (),
) -> Sharing:
    """Makes the record shared with exactly these users and groups, or private.

    Unknown or deactivated names are refused with a message naming them, and nothing changes.
    """
    locked = get_editable_record(user, record.pk, ExecutionRecord.objects.select_for_update())
    current = list(Share.objects.filter(record=locked).select_related("user", "group"))
    if access_scope == Scope.PRIVATE:
        return _replace(locked, user, current, [], [])
    if access_scope != Scope.SHARED:
        raise ValidationError({"access_scope": ["Choose private or shared."]})
    usernames, group_names = clean_names(usernames), clean_names(group_names)
    if not usernames and not group_names:
        raise ValidationError({"access_scope": [NOTHING_CHOSEN]})
    users, user_problems = _resolve_users(
        locked, usernames, {s.user_id for s in current if s.user_id}
    )
    groups, group_problems = _resolve_groups(group_names)
    if user_problems or group_problems:
        errors = {"users": user_problems, "groups": group_problems}
        raise ValidationError({field: problems for field, problems in errors.items() if problems})
    return _replace(locked, user, current, users, groups)


def share_make_private(*, record: ExecutionRecord, user: Any) -> Sharing:
    """Revokes every share: only the executor and administrators see the record again."""
    return share_set(record=record, user=user, access_scope=Scope.PRIVATE)
