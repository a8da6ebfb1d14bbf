"""Rendering a procedure with variable values: substitute, render Markdown, then sanitise.

Values are substituted inside the Markdown token stream, never into the source text, so a
value can neither become Markdown nor HTML: in text and code it is escaped and wrapped in a
``<span class="var">``; in link targets and raw HTML it is escaped and then the whole output
goes through nh3, which strips scripts, event handlers and ``javascript:`` URLs.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import nh3
from markdown_it.token import Token

from procedures.documents import (
    PLACEHOLDER,
    SECRET_MASK,
    Document,
    markdown_parser,
    parse_document,
    step_item_indexes,
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "li": {"data-step", "id"},
    "td": {"align"},
    "th": {"align"},
    "*": {"title"},
}
ALLOWED_CLASSES = {
    "span": {"var", "var-missing", "var-secret", "step-flag"},
    "li": {"step", "is-done", "is-current", "has-flag"},
}


@dataclass(frozen=True)
class StepMark:
    """How a step shows in a run's document: done (with its time) or the current one."""

    css: str  # "is-done" or "is-current"
    label: str  # "✓ 09:14" or "Current step"


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


ENCODED_PLACEHOLDER = re.compile(
    r"%7B%7B(?:%20|\s)*([A-Za-z_][A-Za-z0-9_]*)(?:%20|\s)*%7D%7D", re.IGNORECASE
)
URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"


class Substitution:
    """How each placeholder reads for one set of values (secrets always masked)."""

    def __init__(self, document: Document, values: Mapping[str, Any]) -> None:
        self.document = document
        self.values = values

    def plain(self, name: str) -> str | None:
        variable = self.document.variable(name)
        raw = self.values.get(name)
        text = "" if raw is None else str(raw)
        if not text:
            return None
        if variable is not None and variable.is_secret:
            return SECRET_MASK
        return text

    def span(self, match: Any) -> str:
        name = match.group(1)
        value = self.plain(name)
        if value is None:
            return (
                f'<span class="var var-missing" title="{name} has no value">{{{{ {name} }}}}</span>'
            )
        css = "var var-secret" if value == SECRET_MASK else "var"
        return f'<span class="{css}" title="{name}">{html.escape(value)}</span>'

    def in_text(self, escaped: str) -> str:
        """Escaped text in, escaped text with value spans out."""
        return PLACEHOLDER.sub(self.span, escaped)

    def in_url(self, url: str) -> str:
        """Placeholders in a link target, which Markdown has percent-encoded by now."""

        def replace(match: Any) -> str:
            value = self.plain(match.group(1))
            return str(match.group(0)) if value is None else quote(value, safe=URL_SAFE)

        return ENCODED_PLACEHOLDER.sub(replace, PLACEHOLDER.sub(replace, url))

    def in_raw(self, raw: str, *, escape: bool) -> str:
        def replace(match: Any) -> str:
            value = self.plain(match.group(1))
            if value is None:
                return str(match.group(0))
            return html.escape(value) if escape else value

        return PLACEHOLDER.sub(replace, raw)


def _has_placeholder(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "%7B%7B" in value.upper())


def _attr_with_values(substitution: Substitution, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in ("href", "src"):
        return substitution.in_url(value)
    return substitution.in_raw(value, escape=False)


def _with_token(tokens: Sequence[Token], idx: int, token: Token) -> list[Token]:
    """The token list with one token replaced; cached token lists are never mutated."""
    changed = list(tokens)
    changed[idx] = token
    return changed


def _renderer_rules(md: Any) -> None:
    """Substitution and step marks happen while rendering, reading ``env``, so the parsed
    token stream of a body can be cached and shared by every request and thread."""

    def text(
        _renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        return str(env["sub"].in_text(html.escape(tokens[idx].content, quote=False)))

    def code_inline(
        _renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        content = env["sub"].in_text(html.escape(tokens[idx].content, quote=False))
        return f"<code>{content}</code>"

    def code_block(
        _renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        content = env["sub"].in_text(html.escape(tokens[idx].content, quote=False))
        return f"<pre><code>{content}</code></pre>\n"

    def html_raw(
        _renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        return str(env["sub"].in_raw(tokens[idx].content, escape=True))

    def with_values(rule: str) -> Any:
        """Link targets and image sources get values (then nh3 vets their schemes)."""

        def render(
            renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
        ) -> str:
            token = tokens[idx]
            # The image rule writes its alt text into attrs, so images always get a copy.
            if rule == "image" or any(_has_placeholder(v) for v in token.attrs.values()):
                attrs = {k: _attr_with_values(env["sub"], k, v) for k, v in token.attrs.items()}
                tokens = _with_token(tokens, idx, token.copy(attrs=attrs))
            if rule == "image":
                return str(renderer.rules["image_default"](tokens, idx, options, env))
            return str(renderer.renderToken(tokens, idx, options, env))

        return render

    def list_item_open(
        renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]
    ) -> str:
        token = tokens[idx]
        number = token.attrGet("data-step")
        mark = env["marks"].get(int(number)) if isinstance(number, str) else None
        if mark is None:
            return str(renderer.renderToken(tokens, idx, options, env))
        marked = token.copy(attrs={**token.attrs, "class": f"step {mark.css} has-flag"})
        opening = renderer.renderToken(_with_token(tokens, idx, marked), idx, options, env)
        return f'{opening}<span class="step-flag">{html.escape(mark.label)}</span>'

    md.add_render_rule("text", text)
    md.add_render_rule("code_inline", code_inline)
    md.add_render_rule("code_block", code_block)
    md.add_render_rule("fence", code_block)
    md.add_render_rule("html_inline", html_raw)
    md.add_render_rule("html_block", html_raw)
    md.renderer.rules["image_default"] = md.renderer.rules["image"]
    md.add_render_rule("image", with_values("image"))
    md.add_render_rule("link_open", with_values("link_open"))
    md.add_render_rule("list_item_open", list_item_open)


@functools.cache
def _markdown() -> Any:
    md = markdown_parser()
    _renderer_rules(md)
    return md


def _number_steps(tokens: list[Token]) -> list[Token]:
    """Marks step items and numbers ordered lists across the document (done once per body)."""
    numbered: set[int] = set()
    for number, index in enumerate(step_item_indexes(tokens), start=1):
        item = tokens[index]
        item.attrSet("class", "step")
        item.attrSet("data-step", str(number))
        item.attrSet("id", f"step-{number}")
        opener = next(
            t for t in reversed(tokens[:index]) if t.level == 0 and t.type == "ordered_list_open"
        )
        if id(opener) not in numbered:
            # Steps are numbered across the document, so a second list continues the count.
            numbered.add(id(opener))
            if number == 1:
                opener.attrs.pop("start", None)
            else:
                opener.attrSet("start", str(number))
    return tokens


@functools.lru_cache(maxsize=256)
def _block_tokens(markdown: str) -> tuple[Token, ...]:
    return tuple(_number_steps(_markdown().parse(markdown)))


@functools.lru_cache(maxsize=4096)
def _inline_tokens(source: str) -> tuple[Token, ...]:
    return tuple(_markdown().parseInline(source))


def render_markdown(
    document: Document,
    values: Mapping[str, Any],
    *,
    step_marks: Mapping[int, StepMark] | None = None,
) -> str:
    md = _markdown()
    env: dict[str, Any] = {"sub": Substitution(document, values), "marks": step_marks or {}}
    html_out = md.renderer.render(list(_block_tokens(document.markdown)), md.options, env)
    return str(_cleaner.clean(html_out))


def render_body(body: str, values: Mapping[str, Any]) -> str:
    """The sanitised HTML of a body with these values (secrets masked, missing ones marked)."""
    return render_markdown(parse_document(body), values)


def render_inline(document: Document, source: str, values: Mapping[str, Any]) -> str:
    """One line of inline Markdown (a step description) rendered like the document."""
    md = _markdown()
    env: dict[str, Any] = {"sub": Substitution(document, values), "marks": {}}
    return str(_cleaner.clean(md.renderer.render(list(_inline_tokens(source)), md.options, env)))
