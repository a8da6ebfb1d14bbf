from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from procedures.documents import Document, parse_document


class Procedure(models.Model):
    """A runbook; its content lives in numbered, immutable versions."""

    title = models.CharField(max_length=200)
    import_key = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text="Set by import_procedures: the file it came from.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    latest_version = models.ForeignKey(
        "ProcedureVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Kept in step by the services, so lists need no extra query per row.",
    )

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["title"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("procedures:detail", args=[self.pk])


class ImmutableVersionError(Exception):
    """Raised on any attempt to change a saved procedure version."""


class ProcedureVersion(models.Model):
    """One saved state of a procedure's body; never changed once saved."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    note = models.CharField(max_length=200, blank=True, help_text="What changed, in a few words.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.title} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError("A saved procedure version cannot be changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("procedures:version", args=[self.procedure_id, self.number])

    @cached_property
    def document(self) -> Document:
        return parse_document(self.body)
