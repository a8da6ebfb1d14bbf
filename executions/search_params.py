"""How the Executions search reads its parameters (SPEC section 7): the fields of the one
FilterSet's form (executions.filters) for repeated ``var`` pairs, dates that are whole days in
TIME_ZONE or ISO 8601 moments, and ids; the form, built once per FilterSet class.

Each bad value is a form error that names its parameter.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

MAX_TEXT = 200


class RepeatedInput(forms.Widget):
    """A parameter given any number of times (``var=a=1&var=b=2``)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class VariableField(forms.Field):
    """``name=value`` pairs, split at the first '='; blank entries are ignored."""

    widget = RepeatedInput

    def to_python(self, value: Any) -> list[tuple[str, str]]:
        pairs = []
        for item in value or []:
            if not str(item).strip():
                continue
            name, equals, text = str(item).partition("=")
            if not equals or not name.strip():
                raise forms.ValidationError(
                    "var: write each variable as name=value (got %(item)r).",
                    code="invalid",
                    params={"item": str(item)[:MAX_TEXT]},
                )
            if len(item) > MAX_TEXT * 10:
                raise forms.ValidationError("var: that value is too long.", code="max_length")
            pairs.append((name.strip(), text.strip()))
        return pairs


class StartBoundField(forms.Field):
    """A date (YYYY-MM-DD, a whole day in TIME_ZONE) or an ISO 8601 date and time."""

    def to_python(self, value: Any) -> date | datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(
                "%(name)s: enter a date as YYYY-MM-DD or an ISO 8601 date and time (got %(text)r).",
                code="invalid",
                params={"name": self.label or "date", "text": text[:40]},
            ) from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        return moment


@extend_schema_field(OpenApiTypes.STR)
class StartBoundFilter(django_filters.Filter):
    field_class = StartBoundField


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class VariableFilter(django_filters.Filter):
    field_class = VariableField


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in TIME_ZONE (SPEC: dates are read in TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class SearchForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        after, before = data.get("started_after"), data.get("started_before")
        if after and before and lower_bound(after) >= upper_bound(before):
            self.add_error("started_before", "started_before: the range ends before it starts.")
        return data


def lower_bound(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else start_of_day(value)


def upper_bound(value: date | datetime) -> datetime:
    """Exclusive for a day (the whole day counts); a moment itself is included."""
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    return start_of_day(value + timedelta(days=1))


@functools.cache
def form_class(filterset: type[django_filters.FilterSet]) -> type[forms.Form]:
    fields = {name: filter_.field for name, filter_ in filterset.base_filters.items()}
    form: type[forms.Form] = type(f"{filterset.__name__}Form", (filterset._meta.form,), fields)
    form.base_fields = _ReadOnlyFields(form.base_fields)
    return form


class _ReadOnlyFields(dict):
    """A search form's fields, which no form changes: each form gets its own dict of the same
    fields, where Django deep-copies every field for every form (a third of a search's
    validation)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)
