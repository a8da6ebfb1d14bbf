"""Parsing a procedure body: YAML front matter, variable declarations and steps (SPEC section 3).

A body is Markdown with optional front matter between ``---`` lines. Parsing is pure and cached
by body text, so pages, services and the API share one result per version.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from markdown_it import MarkdownIt

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
TYPES = ("string", "number", "boolean", "choice", "secret")
SPEC_KEYS = {"label", "type", "default", "required", "choices", "help"}
TOP_LEVEL_KEYS = {"variables", "title", "description"}
SECRET_MASK = "••••••"  # noqa: S105 - the mask shown instead of a secret


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: ``*name`` could blow a short body up into gigabytes of text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


class DocumentError(ValueError):
    """A procedure body that cannot be used; the message names the line or the variable."""


@dataclass(frozen=True)
class Variable:
    """One declared (or implied) variable of a procedure version."""

    name: str
    label: str
    type: str = "string"
    default: str | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    declared: bool = True

    @property
    def is_secret(self) -> bool:
        return self.type == "secret"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "default": self.default,
            "required": self.required,
            "choices": list(self.choices),
            "help": self.help,
        }


@dataclass(frozen=True)
class Step:
    number: int
    description: str  # Markdown inline source of the item's first paragraph


@dataclass(frozen=True)
class Document:
    """A parsed body: the Markdown without front matter, its variables and steps."""

    markdown: str
    markdown_line_offset: int
    variables: tuple[Variable, ...]
    steps: tuple[Step, ...]
    title: str = ""
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)


def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


_PARSER = markdown_parser()


def split_front_matter(body: str) -> tuple[str | None, str, int]:
    """Returns (front matter text or None, markdown, line number where the markdown starts)."""
    match = FRONT_MATTER.match(body)
    if not match:
        if body.startswith("---") and body.split("\n", 1)[0].strip() == "---":
            raise DocumentError("Front matter starts on line 1 but has no closing '---' line")
        return None, body, 0
    front = match.group(1) or ""
    markdown = body[match.end() :]
    return front, markdown, body[: match.end()].count("\n")


def _yaml_error(exc: yaml.YAMLError) -> DocumentError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        # +2: line 1 of the body is the opening '---', and YAML counts from 0.
        return DocumentError(f"Front matter line {mark.line + 2}: {problem}")
    return DocumentError(f"Front matter: {problem}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_variable(name: Any, raw: Any) -> Variable:
    if not isinstance(name, str) or not NAME.match(name):
        raise DocumentError(
            f"Variable {name!r}: names use letters, digits and underscores, and start with a letter"
        )
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DocumentError(f"Variable '{name}': expected a mapping of settings, got {raw!r}")
    unknown = sorted(set(map(str, raw)) - SPEC_KEYS)
    if unknown:
        allowed = ", ".join(sorted(SPEC_KEYS))
        raise DocumentError(f"Variable '{name}': unknown key {unknown[0]!r} (allowed: {allowed})")
    kind = raw.get("type", "string")
    if kind not in TYPES:
        raise DocumentError(
            f"Variable '{name}': unknown type {kind!r} (use string, number, boolean, choice "
            "or secret)"
        )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise DocumentError(f"Variable '{name}': required must be true or false")
    label = raw.get("label", name.replace("_", " ").capitalize())
    help_text = raw.get("help", "")
    if not isinstance(label, str) or not isinstance(help_text, str):
        raise DocumentError(f"Variable '{name}': label and help must be text")

    choices: tuple[str, ...] = ()
    if kind == "choice":
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, list) or not raw_choices:
            raise DocumentError(f"Variable '{name}': a choice needs a non-empty list of choices")
        if any(isinstance(c, (dict, list)) for c in raw_choices):
            raise DocumentError(f"Variable '{name}': each choice must be a single value")
        choices = tuple(_text(c) for c in raw_choices)
        if len(set(choices)) != len(choices):
            raise DocumentError(f"Variable '{name}': choices repeat a value")
    elif "choices" in raw:
        raise DocumentError(f"Variable '{name}': choices only apply to type choice")

    default = raw.get("default")
    if default is not None:
        if kind == "secret":
            raise DocumentError(
                f"Variable '{name}': a secret cannot have a default (it would be stored in clear)"
            )
        if isinstance(default, (dict, list)):
            raise DocumentError(f"Variable '{name}': default must be a single value")
        default = _text(default)
        if kind == "number" and not is_number(default):
            raise DocumentError(f"Variable '{name}': default {default!r} is not a number")
        if kind == "boolean" and default not in ("true", "false"):
            raise DocumentError(f"Variable '{name}': default must be true or false")
        if kind == "choice" and default not in choices:
            raise DocumentError(f"Variable '{name}': default {default!r} is not one of the choices")
    return Variable(
        name=name,
        label=label,
        type=kind,
        default=default,
        required=required,
        choices=choices,
        help=help_text,
    )


def is_number(text: str) -> bool:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return False
    return value.is_finite()


def step_item_indexes(tokens: list[Any]) -> list[int]:
    """Indexes of the tokens opening the steps: items of ordered lists at the document's top."""
    indexes: list[int] = []
    in_ordered_list = False
    for index, token in enumerate(tokens):
        if token.level == 0 and token.type == "ordered_list_open":
            in_ordered_list = True
        elif token.level == 0 and token.type == "ordered_list_close":
            in_ordered_list = False
        elif in_ordered_list and token.type == "list_item_open" and token.level == 1:
            indexes.append(index)
    return indexes


def _steps(markdown: str) -> tuple[Step, ...]:
    tokens = _PARSER.parse(markdown)
    return tuple(
        Step(number, _item_summary(tokens, index))
        for number, index in enumerate(step_item_indexes(tokens), start=1)
    )


def _item_summary(tokens: list[Any], index: int) -> str:
    """The inline Markdown of the item's first paragraph (its heading line in the step list)."""
    for token in tokens[index + 1 :]:
        if token.type == "list_item_close" and token.level == tokens[index].level:
            break
        if token.type == "inline":
            return " ".join(line.strip() for line in token.content.splitlines()).strip()
    return ""


@functools.lru_cache(maxsize=512)
def parse_document(body: str) -> Document:
    """Parses a body or raises :class:`DocumentError` naming the line or variable at fault."""
    front, markdown, offset = split_front_matter(body)
    meta: dict[str, Any] = {}
    if front is not None and front.strip():
        try:
            loaded = yaml.load(front, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as exc:
            raise _yaml_error(exc) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise DocumentError("Front matter line 2: expected 'key: value' settings")
        unknown = sorted(set(map(str, loaded)) - TOP_LEVEL_KEYS)
        if unknown:
            raise DocumentError(
                f"Front matter: unknown setting {unknown[0]!r} "
                f"(allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})"
            )
        for key in ("title", "description"):
            if isinstance(loaded.get(key), (dict, list)):
                raise DocumentError(f"Front matter: {key} must be text")
        meta = loaded

    declared_raw = meta.get("variables") or {}
    if not isinstance(declared_raw, dict):
        raise DocumentError("Front matter: 'variables' must map each name to its settings")
    variables = [_parse_variable(name, raw) for name, raw in declared_raw.items()]
    known = {v.name for v in variables}
    for name in PLACEHOLDER.findall(markdown):
        if name not in known:
            # Used but not declared: a required string, in order of first use.
            known.add(name)
            label = name.replace("_", " ").capitalize()
            variables.append(Variable(name=name, label=label, required=True, declared=False))

    return Document(
        markdown=markdown,
        markdown_line_offset=offset,
        variables=tuple(variables),
        steps=_steps(markdown),
        title=_text(meta.get("title", "")) if meta.get("title") else first_heading(markdown),
        description=_text(meta.get("description", "")) if meta.get("description") else "",
        meta=meta,
    )


def first_heading(markdown: str) -> str:
    tokens = _PARSER.parse(markdown)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return str(tokens[index + 1].content).strip()
    return ""
