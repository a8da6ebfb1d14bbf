"""Template helpers for the evidence blocks of the execution page."""

from __future__ import annotations

from django import template
from django.conf import settings

from attachments.uploads import binary_size

register = template.Library()


@register.simple_tag
def upload_limit_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


@register.simple_tag
def upload_limit() -> str:
    """'1 GiB': the limit in the unit it was set in."""
    return binary_size(int(settings.ATTACHMENT_MAX_BYTES))
