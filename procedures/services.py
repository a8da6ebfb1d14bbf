"""Writes for procedures: create, new version, import. Every version is validated first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from procedures.documents import DocumentError, parse_document
from procedures.models import Procedure, ProcedureVersion

MAX_BODY_CHARS = 200_000


def validated_body(body: str) -> str:
    # One canonical form (LF line ends, one final newline), so re-saving or re-importing the
    # same text from a browser or another OS is recognised as unchanged.
    body = body.removeprefix("\ufeff").replace("\r\n", "\n").rstrip() + "\n"
    if not body.strip():
        raise ValidationError({"body": ["The procedure body is empty."]})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({"body": [f"The body is longer than {MAX_BODY_CHARS} characters."]})
    try:
        parse_document(body)
    except DocumentError as exc:
        raise ValidationError({"body": [str(exc)]}) from None
    return body


def _title_for(title: str, body: str) -> str:
    title = title.strip()
    if title:
        return title[:200]
    heading = parse_document(body).title
    if not heading:
        raise ValidationError(
            {"title": ["Give the procedure a title or start the body with a # heading."]}
        )
    return heading[:200]


@transaction.atomic
def procedure_create(
    *,
    title: str,
    body: str,
    user: User | None,
    note: str = "",
    import_key: str | None = None,
) -> Procedure:
    body = validated_body(body)
    procedure = Procedure.objects.create(
        title=_title_for(title, body), created_by=user, import_key=import_key
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, body=body, created_by=user, note=note or "Created"
    )
    procedure.latest_version = version
    procedure.save(update_fields=["latest_version", "updated_at"])
    return procedure


@transaction.atomic
def procedure_version_add(
    *, procedure: Procedure, body: str, user: User | None, note: str = ""
) -> tuple[ProcedureVersion, bool]:
    """Saves ``body`` as the next version; an unchanged body adds nothing (returns False)."""
    body = validated_body(body)
    locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
    latest = locked.latest_version
    if latest is not None and latest.body == body:
        return latest, False
    number = (latest.number if latest else 0) + 1
    version = ProcedureVersion.objects.create(
        procedure=locked, number=number, body=body, created_by=user, note=note
    )
    locked.latest_version = version
    locked.save(update_fields=["latest_version", "updated_at"])
    procedure.latest_version = version
    return version, True


@transaction.atomic
def procedure_edit(
    *, procedure: Procedure, title: str, body: str, user: User | None, note: str = ""
) -> tuple[ProcedureVersion, bool]:
    """Renames the procedure if asked and saves the body as a new version if it changed."""
    version, created = procedure_version_add(procedure=procedure, body=body, user=user, note=note)
    new_title = _title_for(title, body)
    stored = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if new_title != stored.title:
        stored.title = new_title
        stored.save(update_fields=["title", "updated_at"])
    procedure.title = new_title
    return version, created


@dataclass(frozen=True)
class ImportResult:
    path: Path
    procedure: Procedure
    outcome: str  # "created", "new version" or "unchanged"
    version_number: int


def procedure_import_file(*, path: Path, user: User | None = None) -> ImportResult:
    """Imports one Markdown file; its file name identifies its procedure on later imports.

    The name, not the full path, so importing the same runbook repository from another clone or
    machine updates the procedures instead of duplicating them.
    """
    body = path.read_text(encoding="utf-8-sig")  # editors on Windows may add a BOM
    key = path.name[-255:]
    try:
        title = parse_document(body.replace("\r\n", "\n")).title
    except DocumentError as exc:
        raise ValidationError({"body": [str(exc)]}) from None
    title = title or path.stem.replace("-", " ").replace("_", " ").capitalize()
    existing = Procedure.objects.filter(import_key=key).first()
    if existing is None:
        procedure = procedure_create(
            title=title, body=body, user=user, note=f"Imported from {path.name}", import_key=key
        )
        return ImportResult(path, procedure, "created", 1)
    version, created = procedure_version_add(
        procedure=existing, body=body, user=user, note=f"Imported from {path.name}"
    )
    return ImportResult(path, existing, "new version" if created else "unchanged", version.number)
