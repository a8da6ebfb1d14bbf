"""Checking variable values against a version's declarations (SPEC section 4, Start).

Values are stored as text, exactly as searched later (``var=name=value``); secrets are replaced
by the mask before anything is stored, so a clear secret never reaches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
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
