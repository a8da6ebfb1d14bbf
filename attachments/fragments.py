"""The HTML of evidence tiles and blocks, built with ``format_html``.

A run with 100 steps and 300 files renders 400 of these per page view; through the template
engine they cost more than the rest of the page (SPEC section 12 allows 100 ms for all of it).
The templates call these through the ``evidence`` tag library, so markup lives in one place.
Every value is escaped by ``format_html``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from html import escape

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from attachments.models import Attachment
from attachments.uploads import binary_size
from opscore.templatetags.opscore_ui import icon

Status = Attachment.ThumbnailStatus


@cache
def _icon(name: str, css: str = "icon") -> SafeString:
    return icon(name, css)


def file_size(size: int) -> str:
    """Like Django's filesizeformat (1024-based, "12.4 MB"), without its per-call overhead."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1024
        if value < 1024 or unit == "PB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def _inner(attachment: Attachment, name: str) -> str:
    if attachment.thumbnail_status == Status.READY:
        src = escape(attachment.thumbnail_url)  # type: ignore[attr-defined]
        return f'<img src="{src}" alt="{name}" width="88" height="52" loading="lazy">'
    if attachment.thumbnail_status == Status.PENDING:
        return (
            f'<span class="ev-tile-wait">{_icon("image")}<span class="sr-only">{name}: '
            "thumbnail in the making</span></span>"
        )
    return f'{_icon("file")}<span class="ev-tile-name">{name}</span>'


def tile(
    attachment: Attachment, *, editable: bool, polls: int = 0, polling_done: bool = False
) -> SafeString:
    """One file: its thumbnail (or a placeholder, or its name) opening the full file."""
    # html.escape, not format_html: Django's lazy-aware escape costs several times more, and
    # every value interpolated below goes through it.
    name = escape(attachment.file_name)
    poll = ""
    if attachment.thumbnail_status == Status.PENDING and not polling_done:
        url = escape(attachment.tile_url)  # type: ignore[attr-defined]
        poll = f' hx-get="{url}?poll={int(polls)}" hx-trigger="load delay:2s" hx-swap="outerHTML"'
    delete = ""
    if editable:
        url = escape(attachment.delete_url)  # type: ignore[attr-defined]
        delete = (
            f'<button type="submit" class="ev-tile-delete" form="ev-delete" formaction="{url}" '
            f'hx-post="{url}" hx-params="none" hx-swap="none" hx-confirm="Delete {name}? The '
            f'timeline keeps its name and checksum." title="Delete {name}" '
            f'aria-label="Delete {name}">{_icon("x", "icon icon-sm")}</button>'
        )
    status = escape(attachment.thumbnail_status)
    href = escape(attachment.download_url)  # type: ignore[attr-defined]
    return mark_safe(  # every value above is escaped
        f'<div class="ev-tile is-{status}" id="ev-tile-{attachment.pk}"{poll}>'
        f'<a class="ev-tile-link" href="{href}" target="_blank" rel="noopener" '
        f'title="{name} · {file_size(attachment.size)}">{_inner(attachment, name)}</a>'
        f"{delete}</div>"
    )


def gallery(
    number: int | None, attachments: Iterable[Attachment], *, editable: bool, oob: bool = False
) -> SafeString:
    """The tiles of one step (or of the record), swapped as a whole after a change."""
    tiles = "".join(tile(a, editable=editable) for a in attachments)
    return format_html(
        '<div class="ev-gallery" id="ev-gallery-{}"{}>{}</div>',
        number or "record",
        mark_safe(' hx-swap-oob="true"') if oob else "",  # a constant
        mark_safe(tiles),  # tiles escape their values
    )


def _controls(key: str, number: int | None, *, big_zone: bool) -> SafeString:
    limit = binary_size(int(settings.ATTACHMENT_MAX_BYTES))
    target = f" to step {number}" if number else " to the record"
    if big_zone:
        zone = format_html(
            '<label class="dropzone" for="ev-file-{}" data-dropzone>{}<span class="grow">'
            '<strong>Drop files or paste a screenshot</strong> <span class="muted">· or</span> '
            '<span class="link">browse</span></span><span class="dropzone-limit">up to {} each'
            "</span></label>",
            key,
            _icon("upload"),
            limit,
        )
    else:
        zone = format_html(
            '<label class="ev-add" for="ev-file-{}" data-dropzone title="Attach files{}: drop, '
            'paste or browse">{}<span class="sr-only">Attach files{}</span></label>',
            key,
            target,
            _icon("plus"),
            target,
        )
    return format_html(
        '<input type="file" id="ev-file-{key}" name="file" multiple form="ev-upload-{key}" '
        'class="ev-file-input" data-evidence-input>{zone}<noscript><span class="ev-noscript">'
        '<label for="ev-file-{key}">Attach files{target} (up to {limit} each)</label> '
        '<button type="submit" class="btn btn-sm" form="ev-upload-{key}">{upload} Upload'
        '</button></span></noscript><ul class="upload-list" data-upload-list aria-live="polite">'
        "</ul>",
        key=key,
        zone=zone,
        target=target,
        limit=limit,
        upload=_icon("upload", "icon icon-sm"),
    )


def evidence_block(
    number: int | None, attachments: Iterable[Attachment], *, editable: bool, big_zone: bool
) -> SafeString:
    """A step's (or the record's) evidence: its tiles and, while editable, the upload controls:
    the full drop zone on the current step, a "+" tile elsewhere."""
    key = str(number) if number else "record"
    return format_html(
        '<div class="evidence{}" data-evidence="{}">{}{}</div>',
        " has-dropzone" if big_zone and editable else "",
        key,
        gallery(number, attachments, editable=editable),
        _controls(key, number, big_zone=big_zone) if editable else "",
    )
