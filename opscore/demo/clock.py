"""A clock for demo data only: lets `demo_data` create records as if they had happened over the
past days, with every timestamp (start, steps, files, audit events) consistent, so the hash
chain of each record is computed over the times it shows. Never used outside demo data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from unittest import mock

from django.db.models import Field
from django.utils import timezone


class DemoClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _fields_defaulting_to_now() -> list[Field]:
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if getattr(field, "default", None) is timezone.now
    ]


@contextlib.contextmanager
def demo_clock(start: datetime) -> Iterator[DemoClock]:
    clock = DemoClock(start)
    fields = _fields_defaulting_to_now()  # before timezone.now is replaced below
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", clock))
        for field in fields:
            # Field defaults captured the real timezone.now when the models were defined.
            stack.enter_context(mock.patch.object(field, "_get_default", clock))
        yield clock
