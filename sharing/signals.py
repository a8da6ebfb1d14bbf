"""Shares that disappear because their user or group was deleted (in the admin, say).

The services handle every share they remove themselves; a cascade from a deleted account or
group bypasses them, so this keeps the record's ``access_scope`` in step and puts the lost
access on the record's timeline, as any other change to who sees it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord
from sharing.models import Share


def _cascaded_from(origin: Any) -> type | None:
    """The user or group model when a deleted one takes the share along, else None."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model if model in (Group, get_user_model()) else None


@receiver(pre_delete, sender=Share, dispatch_uid="sharing.share_about_to_go")
def share_about_to_go(sender: type[Share], instance: Share, origin: Any, **kwargs: Any) -> None:
    # Names are read now: by post_delete the user or group row may already be gone.
    if not _cascaded_from(origin):
        return
    if instance.user is not None:
        lost_to = {"users": [instance.user.get_username()], "groups": []}
    elif instance.group is not None:
        lost_to = {"users": [], "groups": [instance.group.name]}
    else:
        return
    instance.lost_to = lost_to  # type: ignore[attr-defined]


@receiver(post_delete, sender=Share, dispatch_uid="sharing.share_lost_by_cascade")
def share_lost_by_cascade(sender: type[Share], instance: Share, origin: Any, **kwargs: Any) -> None:
    deleted = _cascaded_from(origin)
    lost_to = getattr(instance, "lost_to", None)
    record = ExecutionRecord.objects.filter(pk=instance.record_id).first()
    if deleted is None or lost_to is None or record is None:
        return
    reason = "the group was deleted" if deleted is Group else "the account was deleted"
    event_append(
        record=record,
        actor=None,
        action=ExecutionEvent.Action.UNSHARED,
        data={**lost_to, "reason": reason},
    )
    if not Share.objects.filter(record_id=record.pk).exists():
        ExecutionRecord.objects.filter(pk=record.pk).update(
            access_scope=ExecutionRecord.Scope.PRIVATE, updated_at=timezone.now()
        )
