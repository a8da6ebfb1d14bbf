"""Small UI helpers for templates: icons, avatars, times with the full timestamp on hover."""

from __future__ import annotations

import functools
import zlib
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Lucide-style 24px stroke icons, inlined so every asset comes from the app itself.
ICONS = {
    "check": '<path d="M20 6 9 17l-5-5"/>',
    "check-circle": '<circle cx="12" cy="12" r="10"/><path d="m9 12 2 2 4-4"/>',
    "x": '<path d="M18 6 6 18"/><path d="m6 6 12 12"/>',
    "x-circle": '<circle cx="12" cy="12" r="10"/><path d="m15 9-6 6"/><path d="m9 9 6 6"/>',
    "half-circle": '<circle cx="12" cy="12" r="10"/><path d="M12 2a10 10 0 0 1 0 20z" fill="currentColor"/>',
    "search": '<circle cx="11" cy="11" r="8"/><path d="m21 21-4.3-4.3"/>',
    "play": '<path d="M6 3v18l15-9z" fill="currentColor"/>',
    "lock": '<rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
    "users": '<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M22 21v-2a4 4 0 0 0-3-3.87"/><path d="M16 3.13a4 4 0 0 1 0 7.75"/>',
    "share": '<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M19 8v6"/><path d="M22 11h-6"/>',
    "eye": '<path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>',
    "file": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/><path d="M14 2v6h6"/>',
    "doc": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/><path d="M14 2v6h6"/><path d="M8 13h8"/><path d="M8 17h6"/>',
    "history": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/><path d="M12 7v5l4 2"/>',
    "edit": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "plus": '<path d="M12 5v14"/><path d="M5 12h14"/>',
    "upload": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m17 8-5-5-5 5"/><path d="M12 3v12"/>',
    "download": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m7 10 5 5 5-5"/><path d="M12 15V3"/>',
    "alert": '<path d="m21.7 18-8-14a2 2 0 0 0-3.4 0l-8 14A2 2 0 0 0 4 21h16a2 2 0 0 0 1.7-3z"/><path d="M12 9v4"/><path d="M12 17h.01"/>',
    "info": '<circle cx="12" cy="12" r="10"/><path d="M12 16v-4"/><path d="M12 8h.01"/>',
    "shield": '<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/><path d="m9 12 2 2 4-4"/>',
    "pencil": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "image": '<rect x="3" y="3" width="18" height="18" rx="2"/><circle cx="9" cy="9" r="2"/><path d="m21 15-5-5L5 21"/>',
    "trash": '<path d="M3 6h18"/><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6"/><path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>',
    "rotate": '<path d="M3 12a9 9 0 0 1 15-6.7L21 8"/><path d="M21 3v5h-5"/><path d="M21 12a9 9 0 0 1-15 6.7L3 16"/><path d="M3 21v-5h5"/>',
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "chevron-left": '<path d="m15 18-6-6 6-6"/>',
    "chevron-right": '<path d="m9 18 6-6-6-6"/>',
    "arrow-down": '<path d="M12 5v14"/><path d="m19 12-7 7-7-7"/>',
    "arrow-up": '<path d="M12 19V5"/><path d="m5 12 7-7 7 7"/>',
    "logo": '<path d="m7 12.5 3.2 3.2L17 9" stroke-width="2.6"/>',
    "menu": '<path d="M4 6h16"/><path d="M4 12h16"/><path d="M4 18h16"/>',
    "link": '<path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/>',
    "calendar": '<rect x="3" y="4" width="18" height="18" rx="2"/><path d="M16 2v4"/><path d="M8 2v4"/><path d="M3 10h18"/>',
    "flag": '<path d="M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z"/><path d="M4 22v-7"/>',
}

STATUS_ICONS = {"in_progress": "half-circle", "completed": "check-circle", "failed": "x-circle"}


@register.simple_tag
@functools.lru_cache(maxsize=512)
def icon(name: str, css: str = "icon", label: str = "") -> SafeString:
    """An inline SVG icon; cached, as a long page draws the same few icons hundreds of times."""
    paths = ICONS[name]
    aria = (
        format_html(' role="img" aria-label="{}"', label)
        if label
        else mark_safe(' aria-hidden="true"')
    )
    # Safe: paths are constants above; css and label are escaped by format_html.
    return format_html(
        '<svg class="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round"{}>{}</svg>',
        css,
        aria,
        mark_safe(paths),
    )


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    return format_html(
        '<span class="badge badge-{}">{}{}</span>',
        status,
        icon(STATUS_ICONS.get(status, "info")),
        label,
    )


@register.simple_tag
def avatar(user: object, large: bool = False) -> SafeString:
    """A coloured initial for a user or a username (the share chips know only the name)."""
    name = (user if isinstance(user, str) else getattr(user, "username", "")) or "?"
    hue = zlib.crc32(name.encode()) % 6
    css = "avatar avatar-lg" if large else "avatar"
    return format_html(
        '<span class="{}" data-hue="{}" aria-hidden="true">{}</span>', css, hue, name[:1].upper()
    )


def _short(value: datetime, now: datetime) -> str:
    if value.date() == now.date():
        return value.strftime("Today, %H:%M")
    if value.year == now.year:
        return f"{value.day} {value.strftime('%b, %H:%M')}"
    return f"{value.day} {value.strftime('%b %Y, %H:%M')}"


@register.simple_tag
def when(value: datetime | None, style: str = "short", empty: str = "—") -> SafeString:
    """A <time> in the user's zone, short on the page, the full timestamp on hover."""
    if value is None:
        return format_html('<span class="subtle">{}</span>', empty)
    local = timezone.localtime(value)
    now = timezone.localtime()
    if style == "time":
        text = local.strftime("%H:%M")
    elif style == "date":
        text = f"{local.day} {local.strftime('%b %Y')}"
    elif style == "long":
        text = f"{local.day} {local.strftime('%b %Y, %H:%M')}"
    else:
        text = _short(local, now)
    full = local.strftime("%a %d %b %Y, %H:%M:%S %Z (UTC%z)")
    full = full[:-3] + ":" + full[-3:] if full.endswith(")") else full
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), full, text)


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if hasattr(mapping, "get") else None
