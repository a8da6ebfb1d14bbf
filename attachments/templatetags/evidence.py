"""Template tags for the evidence blocks of the execution page (see attachments.fragments)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import SafeString

from attachments import fragments
from attachments.models import Attachment
from attachments.uploads import binary_size

register = template.Library()


@register.simple_tag
def upload_limit_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


@register.simple_tag
def upload_limit() -> str:
    """'1 GiB': the limit in the unit it was set in."""
    return binary_size(int(settings.ATTACHMENT_MAX_BYTES))


@register.simple_tag(takes_context=True)
def evidence_tile(context: Any, attachment: Attachment) -> SafeString:
    return fragments.tile(
        attachment,
        editable=bool(context.get("can_change_evidence")),
        polls=int(context.get("polls") or 0),
        polling_done=bool(context.get("polling_done")),
    )


@register.simple_tag(takes_context=True)
def evidence_gallery(
    context: Any, number: int | None, attachments: list[Attachment], oob: bool = False
) -> SafeString:
    editable = bool(context.get("can_change_evidence"))
    return fragments.gallery(number, attachments, editable=editable, oob=oob)


@register.simple_tag(takes_context=True)
def evidence_block(
    context: Any, number: int | None, attachments: list[Attachment], big_zone: bool = False
) -> SafeString:
    editable = bool(context.get("can_change_evidence"))
    return fragments.evidence_block(number, attachments, editable=editable, big_zone=big_zone)
