"""One line per log event, tagged with the request id and the user.

Secrets never reach the logs because nothing logs variable values; the formatter also folds
newlines so a multi-line message or traceback cannot forge extra log lines.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from django.utils.functional import SimpleLazyObject, empty

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_request: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)


@contextlib.contextmanager
def request_context(*, request_id: str, request: Any) -> Iterator[None]:
    id_token = _request_id.set(request_id)
    request_token = _request.set(request)
    try:
        yield
    finally:
        _request_id.reset(id_token)
        _request.reset(request_token)


def current_request_id() -> str:
    return _request_id.get()


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get()
        request_id = _request_id.get()
        if request is None:
            # django.request logs 4xx and 5xx responses after the middleware has finished,
            # passing the request along: take the id and the user from it.
            request = getattr(record, "request", None)
            request_id = getattr(request, "request_id", request_id)
        record.request_id = request_id
        record.user = _username(request)
        return True


def _username(request: Any) -> str:
    user = getattr(request, "__dict__", {}).get("user")
    # request.user is lazy; read it only once authentication has resolved it, so logging
    # never costs a query of its own.
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]  # LazyObject's slot; not in the stubs
        if wrapped is empty:
            return "-"
        user = wrapped
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.get_username())
    return "-"


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")
