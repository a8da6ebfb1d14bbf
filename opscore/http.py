"""Request types for page views: what the middleware guarantees, told to the type checker.

Annotations only: Django still passes its own ``HttpRequest``. This is the pattern django-stubs
and django-htmx document for attributes their middleware sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (every request, see MIDDLEWARE)."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a page behind LoginRequiredMiddleware: its user has signed in."""

    user: User
