from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from executions.models import ExecutionRecord


class Share(models.Model):
    """Read-only access to one record for exactly one user or one group."""

    record = models.ForeignKey(ExecutionRecord, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares",
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(group__isnull=False)),
                name="share_user_xor_group",
            ),
            models.UniqueConstraint(
                fields=["record", "user"], condition=Q(user__isnull=False), name="unique_user_share"
            ),
            models.UniqueConstraint(
                fields=["record", "group"],
                condition=Q(group__isnull=False),
                name="unique_group_share",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "record"], name="share_user_record_idx"),
            models.Index(fields=["group", "record"], name="share_group_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.user or self.group}"
