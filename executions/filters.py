"""The one FilterSet behind the Executions page and the API list (SPEC section 7).

Every parameter is validated here; a bad one is a form error naming it (a 400 in the API),
never a 500 and never a silently unfiltered list. Each filter narrows a queryset of records;
``executions.search`` applies them to each part of what the user may see (``scope`` and
``ordering`` are validated here and applied there, because they shape that query).

Lookups that name users or procedures are resolved to ids first (one small query each), so
PostgreSQL plans the records query with literal ids and its statistics for them.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.http import QueryDict
from django.utils.functional import cached_property

from executions.models import ExecutionRecord, ExecutionStep
from executions.search_params import (
    MAX_TEXT,
    IdFilter,
    SearchForm,
    StartBoundFilter,
    VariableFilter,
    form_class,
    lower_bound,
    upper_bound,
)
from executions.search_sql import SearchMatch, VariableValueLike
from procedures.documents import SECRET_MASK
from procedures.models import Procedure, ProcedureVersion

Status = ExecutionRecord.Status
SCOPES = [("all", "All"), ("mine", "Mine"), ("shared", "Shared with me")]
ORDERINGS = [
    ("-started_at", "Started, newest first"),
    ("started_at", "Started, oldest first"),
    ("-completed_at", "Completed, newest first"),
    ("completed_at", "Completed, oldest first"),
    ("title", "Title, A to Z"),
    ("-title", "Title, Z to A"),
    ("status", "Status, A to Z"),
    ("-status", "Status, Z to A"),
]
DEFAULT_ORDERING = "-started_at"
DATE_HELP = "YYYY-MM-DD (that whole day counts, in TIME_ZONE) or an ISO 8601 date-time."
MASK_ONLY = re.compile(rf"^[{SECRET_MASK[0]}\s]*$")


def _in(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class ExecutionFilter(django_filters.FilterSet):
    """Search parameters of SPEC section 7; see the module docstring."""

    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_TEXT,
        label="Search",
        help_text="Keywords in the title, procedure title, notes, step notes and variable "
        'values (whole words; "a phrase", or, -word).',
    )
    procedure = IdFilter(
        field_name="procedure_id", min_value=1, label="Procedure", help_text="Procedure id."
    )
    procedure_title = django_filters.CharFilter(
        method="filter_procedure_title",
        max_length=MAX_TEXT,
        label="Procedure title",
        help_text="Part of the procedure title.",
    )
    executor = django_filters.CharFilter(
        method="filter_executor", max_length=150, label="Executor", help_text="User id or username."
    )
    executor_name = django_filters.CharFilter(
        method="filter_executor_name",
        max_length=150,
        label="Executor name",
        help_text="Part of the executor's username.",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        method="filter_status",
        label="Status",
        help_text="Repeatable; any of the given statuses.",
    )
    started_after = StartBoundFilter(
        method="filter_started_after",
        label="started_after",
        help_text=DATE_HELP,
    )
    started_before = StartBoundFilter(
        method="filter_started_before",
        label="started_before",
        help_text=DATE_HELP,
    )
    var = VariableFilter(
        method="filter_var",
        label="Variables",
        help_text="Repeatable name=value (split at the first '='), all must match the stored "
        "value exactly; secret variables never match.",
    )
    scope = django_filters.ChoiceFilter(
        choices=SCOPES,
        method="applied_by_search",
        empty_label=None,
        label="Scope",
        help_text="all (default), mine, or shared (others' records shared with you).",
    )
    ordering = django_filters.ChoiceFilter(
        choices=ORDERINGS,
        method="applied_by_search",
        empty_label=None,
        label="Sort",
        help_text="Default -started_at. Ties: start time, then id, same direction. Runs "
        "still in progress count as the latest completion.",
    )

    class Meta:
        model = ExecutionRecord
        fields: list[str] = []
        form = SearchForm

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        # django-filter's own __init__, less its deep copy of every filter: a search reads
        # only the form, and the bound filters (``filters`` below) only on the ORM path.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self._queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self._ids: dict[tuple[str, str], list[int]] = {}

    @property
    def queryset(self) -> QuerySet:
        """What ``qs`` filters (django-filter's default: every record); the search itself
        filters the parts of what a user may see (executions.search)."""
        return self._queryset if self._queryset is not None else ExecutionRecord.objects.all()

    @cached_property
    def filters(self) -> dict[str, django_filters.Filter]:  # type: ignore[override]
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():
            filter_.model = self._meta.model
            filter_.parent = self
        return filters

    def get_form_class(self) -> type[forms.Form]:
        """The form class, built once: django-filter builds a new class for every search."""
        return form_class(type(self))  # type: ignore[arg-type] # classes are hashable

    @property
    def finds_unordered(self) -> bool:
        """Keywords or variables: matches come from the GIN index, not in any page order."""
        data = self.form.cleaned_data
        return bool((data.get("q") or "").strip() or data.get("var"))

    @property
    def scope_value(self) -> str:
        return self.form.cleaned_data.get("scope") or "all"

    @property
    def ordering_value(self) -> str:
        return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING

    def applied_by_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    # ---- keywords ---------------------------------------------------------------------------

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value.strip():
            return queryset
        if connections[queryset.db].vendor == "postgresql":
            # The maintained search vector and its GIN index (migration 0003).
            return queryset.filter(SearchMatch(value))
        return queryset.filter(_fallback_keywords(value))

    # ---- who and what -----------------------------------------------------------------------

    def filter_procedure_title(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(procedure_id__in=self._procedure_ids(value))

    def filter_executor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(executor_id__in=self._executor_ids(value))

    def filter_executor_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(executor_id__in=self._executor_name_ids(value))

    def _procedure_ids(self, value: str) -> list[int]:
        matches = Procedure.objects.filter(title__icontains=value.strip())
        return self._resolved("procedure_title", value, matches)

    def _executor_ids(self, value: str) -> list[int]:
        value = value.strip()
        match = Q(username=value)
        if value.isdigit():
            match |= Q(pk=int(value))
        return self._resolved("executor", value, get_user_model().objects.filter(match))

    def _executor_name_ids(self, value: str) -> list[int]:
        users = get_user_model().objects.filter(username__icontains=value.strip())
        return self._resolved("executor_name", value, users)

    def _resolved(self, name: str, value: str, matches: QuerySet) -> list[int]:
        """Ids of ``matches``, looked up once per search (the search filters several parts)."""
        key = (name, value)
        if key not in self._ids:
            self._ids[key] = list(matches.values_list("pk", flat=True))
        return self._ids[key]

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(status__in=value) if value else queryset

    # ---- when -------------------------------------------------------------------------------

    def filter_started_after(
        self, queryset: QuerySet, name: str, value: date | datetime
    ) -> QuerySet:
        return queryset.filter(started_at__gte=lower_bound(value))

    def filter_started_before(
        self, queryset: QuerySet, name: str, value: date | datetime
    ) -> QuerySet:
        return queryset.filter(started_at__lt=upper_bound(value))

    # ---- variables --------------------------------------------------------------------------

    def filter_var(self, queryset: QuerySet, name: str, pairs: list[tuple[str, str]]) -> QuerySet:
        postgres = connections[queryset.db].vendor == "postgresql"
        for index, (variable, value) in enumerate(pairs):
            if value and MASK_ONLY.match(value):
                # Secrets are stored as the mask: searching for it must not reveal which
                # records had a secret.
                return queryset.none()
            if postgres:
                # variables @> '{"name": "value"}', answered by the jsonb_path_ops GIN index.
                queryset = queryset.filter(variables__contains={variable: value})
            else:
                stored = f"var_{index}"
                queryset = queryset.alias(**{stored: KeyTransform(variable, "variables")})
                queryset = queryset.filter(**{stored: value})
            if value == "":
                # An empty secret is stored empty: secret variables never match, even then.
                queryset = queryset.exclude(procedure_version_id__in=self._secret_in(variable))
        return queryset

    # ---- the same, as SQL ---------------------------------------------------------------------

    def reader_keys(self) -> list[tuple[str, list[Any]]]:
        """The procedure and status filters as dimensions of reader keys (migration executions
        0010): ("p", procedure ids) and ("s", statuses), each a condition that must hold, for
        the "shared with me" part of a user reached by many shares
        (``VisibleParts.conditions``). Empty with keywords or variables: exec_live_filters_gin
        then intersects those with the readers in one scan, which measured as fast or faster.
        """
        if self.finds_unordered:
            return []
        data = self.form.cleaned_data
        keyed: list[tuple[str, list[Any]]] = []
        if data.get("procedure") is not None:
            keyed.append(("p", [data["procedure"]]))
        if data.get("procedure_title"):
            if not (ids := self._procedure_ids(data["procedure_title"])):
                return []  # nothing matches, which conditions() says
            keyed.append(("p", ids))
        if data.get("status"):
            keyed.append(("s", list(data["status"])))
        return keyed

    def conditions(self, *, keyed: bool = False) -> list[tuple[str, list[Any]]] | None:
        """The filters above as SQL conditions on the record table aliased ``r``, for the
        search's PostgreSQL statements (executions.search), which the ORM would cost several
        times their SQL to build; None when nothing can match. The same rules, held equal to
        the filter methods by tests/executions/test_search_postgres.py. Values are parameters.
        """
        data = self.form.cleaned_data
        where: list[tuple[str, list[Any]]] = []
        if (data.get("q") or "").strip():
            where.append(("r.search_vector @@ executions_search_query(%s)", [data["q"]]))
        # keyed: the part holds the procedure and status filters as reader keys already; written
        # again, PostgreSQL would intersect the big procedure or status index with them.
        if data.get("procedure") is not None and not keyed:
            where.append(("r.procedure_id = %s", [data["procedure"]]))
        resolved = [
            ("r.procedure_id", None if keyed else data.get("procedure_title"), self._procedure_ids),
            ("r.executor_id", data.get("executor"), self._executor_ids),
            ("r.executor_id", data.get("executor_name"), self._executor_name_ids),
        ]
        for column, value, lookup in resolved:
            if value:
                if not (ids := lookup(value)):
                    return None
                where.append(_in(column, ids))
        if data.get("status") and not keyed:
            where.append(_in("r.status", data["status"]))
        if data.get("started_after"):
            where.append(("r.started_at >= %s", [lower_bound(data["started_after"])]))
        if data.get("started_before"):
            where.append(("r.started_at < %s", [upper_bound(data["started_before"])]))
        for variable, value in data.get("var") or []:
            if value and MASK_ONLY.match(value):
                return None  # see filter_var
            where.append(("r.variables @> %s::jsonb", [json.dumps({variable: value})]))
            if value == "" and (secret := self._secret_in(variable)):
                sql, params = _in("r.procedure_version_id", secret)
                where.append((f"NOT ({sql})", params))
        return where

    def _secret_in(self, variable: str) -> list[int]:
        key = ("secret", variable)
        if key not in self._ids:
            versions = ProcedureVersion.objects.filter(body__contains=variable).only("body")
            self._ids[key] = [
                v.pk
                for v in versions
                if (declared := v.document.variable(variable)) is not None and declared.is_secret
            ]
        return self._ids[key]


def _fallback_keywords(value: str) -> Q:
    """SQLite: every word somewhere in the same texts the PostgreSQL vector holds."""
    words = [w for w in value.replace('"', " ").split() if not MASK_ONLY.match(w)]
    if not words:
        return Q(pk__in=[])
    condition = Q()
    for word in words:
        steps = ExecutionStep.objects.filter(record=OuterRef("pk"), notes__icontains=word)
        condition &= (
            Q(title__icontains=word)
            | Q(procedure__title__icontains=word)
            | Q(notes__icontains=word)
            | Q(Exists(steps))
            | Q(VariableValueLike(word))
        )
    return condition
