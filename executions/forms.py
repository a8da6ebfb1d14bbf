"""Parsing the execution page's one form (title, notes, variables, step notes, version)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from procedures.forms import FIELD_PREFIX

STEP_NOTES = re.compile(r"^step-(\d{1,6})-notes$")


@dataclass
class DraftInput:
    """What a Save Draft (or Complete/Fail, which save first) posted."""

    version: int | None
    title: str | None = None
    notes: str | None = None
    variables: dict[str, str] | None = None
    step_notes: dict[int, str] = field(default_factory=dict)

    @property
    def has_edits(self) -> bool:
        return any(v is not None for v in (self.title, self.notes, self.variables)) or bool(
            self.step_notes
        )

    def as_service_kwargs(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "notes": self.notes,
            "variables": self.variables,
            "step_notes": self.step_notes,
        }


def parse_draft(data: QueryDict) -> DraftInput:
    raw_version = data.get("version", "")
    version = int(raw_version) if raw_version.isdigit() else None
    # get() reads a key's last value as items() does, typed str: the stubs' items() also
    # allows for a key with no values, which a parsed request never has.
    variables = {
        key[len(FIELD_PREFIX) :]: data.get(key, "") for key in data if key.startswith(FIELD_PREFIX)
    }
    step_notes = {}
    for key in data:
        match = STEP_NOTES.match(key)
        if match:
            step_notes[int(match.group(1))] = data.get(key, "").replace("\r\n", "\n")
    notes = data.get("notes")
    return DraftInput(
        version=version,
        title=data.get("title"),
        notes=notes.replace("\r\n", "\n") if notes is not None else None,
        variables=variables or None,
        step_notes=step_notes,
    )
