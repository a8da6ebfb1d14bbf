"""Checking variable values against a version's declarations (SPEC section 4, Start).

Values are stored as text, exactly as searched later (``var=name=value``); secrets are replaced
by the mask before anything is stored, so a clear secret never reaches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from procedures.documents import SECRET_MASK, Document, Variable, is_number

MAX_VALUE_LENGTH = 2000


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value).strip()
    raise TypeError


def _check(variable: Variable, text: str) -> str | None:
    """Returns an error message for this value, or None when it is acceptable."""
    label = variable.label
    if not text:
        return f"{label} is required." if variable.required else None
    if len(text) > MAX_VALUE_LENGTH:
        return f"{label} is longer than {MAX_VALUE_LENGTH} characters."
    if variable.type == "number" and not is_number(text):
        return f"{label} must be a number, got {text!r}."
    if variable.type == "boolean" and text not in ("true", "false"):
        return f"{label} must be true or false."
    if variable.type == "choice" and text not in variable.choices:
        return f"{label} must be one of {', '.join(variable.choices)}; got {text!r}."
    return None


def clean_values(
    document: Document, raw: Mapping[str, Any], *, apply_defaults: bool = True
) -> dict[str, str]:
    """Validated, stored form of ``raw``: text values, secrets masked, defaults filled in.

    Raises ``ValidationError`` mapping each offending variable name to a message naming it.
    """
    errors: dict[str, str] = {}
    for name in raw:
        if document.variable(str(name)) is None:
            errors[str(name)] = (
                f"Unknown variable {name!r}: this procedure version does not use it."
            )
    cleaned: dict[str, str] = {}
    for variable in document.variables:
        try:
            text = _as_text(raw.get(variable.name))
        except TypeError:
            errors[variable.name] = f"{variable.label} must be a single value."
            continue
        if not text and apply_defaults and variable.default is not None:
            text = variable.default
        if variable.is_secret and text == SECRET_MASK:
            # Re-saving a record that already holds a masked secret keeps it masked.
            cleaned[variable.name] = SECRET_MASK
            continue
        message = _check(variable, text)
        if message:
            errors[variable.name] = message
            continue
        cleaned[variable.name] = SECRET_MASK if (variable.is_secret and text) else text
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})
    return cleaned


def missing_required(document: Document, values: Mapping[str, Any]) -> list[Variable]:
    """Required variables without a value yet (for the procedure page's readiness list)."""
    return [
        v
        for v in document.variables
        if v.required and not str(values.get(v.name) or "").strip() and v.default is None
    ]


@dataclass(frozen=True)
class DroppedValue:
    """A value of an earlier run that does not fit the version it is carried over to."""

    name: str
    label: str
    value: str
    reason: str


@dataclass(frozen=True)
class CarryOver:
    """An earlier run's values sorted for a new run: kept, dropped (with why), secrets."""

    values: dict[str, str]
    dropped: tuple[DroppedValue, ...] = ()
    secrets: tuple[Variable, ...] = ()  # secret variables the user must enter again


def _unfit_reason(variable: Variable, text: str) -> str | None:
    """Why ``text`` no longer fits ``variable``; None when it fits."""
    if len(text) > MAX_VALUE_LENGTH:
        return f"longer than the {MAX_VALUE_LENGTH} characters a value may have"
    if variable.type == "number" and not is_number(text):
        return "the variable is now a number"
    if variable.type == "boolean" and text not in ("true", "false"):
        return "the variable is now yes or no"
    if variable.type == "choice" and text not in variable.choices:
        return f"no longer one of the choices ({', '.join(variable.choices)})"
    return None


def carry_over(
    document: Document, previous: Mapping[str, Any], previous_document: Document | None = None
) -> CarryOver:
    """Which of an earlier run's ``previous`` values can pre-fill a run of ``document``.

    Secrets are never carried, in either direction: a masked value is no value, and a value
    typed in clear for a variable that is now a secret must be entered again, not copied.
    Empty values carry nothing, so the new version's defaults apply.
    """
    values: dict[str, str] = {}
    dropped: list[DroppedValue] = []
    # In the earlier version's order, so the notice reads like its form (PostgreSQL's jsonb
    # does not keep the stored order).
    declared = [v.name for v in previous_document.variables] if previous_document else []
    names = [n for n in declared if n in previous] + sorted(set(previous) - set(declared))
    for name in names:
        raw = previous[name]
        try:
            text = _as_text(raw)
        except TypeError:
            text = str(raw)  # not a stored form; _unfit_reason or the removal reports it
        old = previous_document.variable(name) if previous_document else None
        variable = document.variable(name)
        if not text or (variable is not None and variable.is_secret):
            continue
        was_secret = text == SECRET_MASK or (old is not None and old.is_secret)
        shown = "" if was_secret else text
        if variable is None:
            label = old.label if old else name
            dropped.append(DroppedValue(name, label, shown, "the variable was removed"))
        elif was_secret:
            reason = "it was a secret, and secrets are never carried over"
            dropped.append(DroppedValue(name, variable.label, shown, reason))
        elif unfit := _unfit_reason(variable, text):
            dropped.append(DroppedValue(name, variable.label, text, unfit))
        else:
            values[name] = text
    secrets = tuple(v for v in document.variables if v.is_secret)
    return CarryOver(values=values, dropped=tuple(dropped), secrets=secrets)
