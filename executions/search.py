"""The Executions search (SPEC section 7): one read that costs the same at any scale.

A page costs two queries whatever the user sees, three records or a million: a count that
stops at ``COUNT_CAP`` + 1, and the page's records with their list columns.

What a user may see is split into parts (``sharing.policy.VisibleParts``: everything for an
administrator; otherwise their own records and the others' records shared with them). Each
part gets the filters, its own ORDER BY and LIMIT, and the parts are merged:

    SELECT id FROM (
        SELECT * FROM (<own, filtered> ORDER BY started_at DESC, id DESC LIMIT k) AS p0
        UNION ALL
        SELECT * FROM (<shared, filtered> ORDER BY started_at DESC, id DESC LIMIT k) AS p1
    ) AS u ORDER BY started_at DESC, id DESC LIMIT 25 OFFSET o          -- k = o + 25

PostgreSQL plans each part on its own: the own part reads (executor, started_at) backwards and
stops after k rows; the shared part either walks the few shares of a user who has few, or reads
started_at backwards probing the shares when they are many. The single query with
``executor = me OR EXISTS (shares...)`` could do neither: for a user who sees five records
among a million it read the whole started_at index (bench/search.py shows both plans).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, OrderBy, QuerySet
from django.db.models.expressions import RawSQL

from executions.filters import ExecutionFilter
from executions.models import ExecutionRecord
from sharing.policy import VisibleParts

COUNT_CAP = 10_000

# Every ordering ends with the start time and the id, in the same direction, so that pages
# are stable and each ordering is served by one index (executions.models.ExecutionRecord).
SORT_COLUMNS = {
    "started_at": ("started_at", "id"),
    "completed_at": ("completed_at", "started_at", "id"),
    "title": ("title", "started_at", "id"),
    "status": ("status", "started_at", "id"),
}


def execution_search(
    *, user: Any, filterset: ExecutionFilter, rows: QuerySet[ExecutionRecord] | None = None
) -> SearchResults:
    """The records ``user`` may see that match the (valid) ``filterset``, for a Paginator.

    ``rows`` is how a page's records are fetched (select/prefetch_related of the caller).
    """
    parts = VisibleParts(user)
    scope = filterset.scope_value
    if scope == "mine":
        chosen = [parts.own()]
    elif scope == "shared":
        chosen = [parts.shared()]
    else:
        chosen = parts.everything()
    filtered = [filterset.filter_queryset(part) for part in chosen]
    return SearchResults(
        [p for p in filtered if not p.query.is_empty()],
        filterset.ordering_value,
        rows if rows is not None else ExecutionRecord.objects.with_list_columns(),
    )


class SearchResults:
    """Search results shaped for Django's Paginator: a capped ``count()`` and page slices."""

    def __init__(
        self, parts: Sequence[QuerySet[ExecutionRecord]], ordering: str, rows: QuerySet
    ) -> None:
        self.parts = [p.order_by() for p in parts]
        self.descending = ordering.startswith("-")
        self.columns = SORT_COLUMNS[ordering.removeprefix("-")]
        self.rows = rows
        self.db = self.parts[0].db if self.parts else rows.db

    def count(self) -> int:
        """Exact up to COUNT_CAP; COUNT_CAP when there are more (then ``capped`` is True)."""
        return min(self._count_to_cap, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._count_to_cap > COUNT_CAP

    def __len__(self) -> int:
        return self.count()

    @cached_property
    def _count_to_cap(self) -> int:
        count = self._count_sql()
        return self._fetch(*count)[0][0] if count is not None else 0

    def _count_sql(self) -> tuple[str, list[Any]] | None:
        if not self._parts_sql:
            return None
        union = " UNION ALL ".join(
            f"SELECT 1 FROM ({sql}) AS p{number}"  # noqa: S608 - see _parts_sql
            for number, (sql, _) in enumerate(self._parts_sql)
        )
        params = [param for _, part_params in self._parts_sql for param in part_params]
        # LIMIT on the UNION ALL stops reading as soon as COUNT_CAP + 1 rows have come.
        return (
            f"SELECT COUNT(*) FROM ({union} LIMIT %s) AS matches",  # noqa: S608
            [*params, COUNT_CAP + 1],
        )

    def __getitem__(self, index: slice) -> list[ExecutionRecord]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("Search results are read a page (a slice) at a time.")
        offset, stop = index.start or 0, index.stop
        if stop is None or stop <= offset:
            return []
        page = self._page_ids_sql(offset, stop - offset)
        if page is None:
            return []
        # One query: the page's ids (merged from the parts) and their rows, in order.
        ids = RawSQL(*page)  # noqa: S611 - the ORM's SQL and constant names, see _parts_sql
        return list(self.rows.filter(pk__in=ids).order_by(*self._order_by()))

    def _order_by(self) -> list[OrderBy]:
        return [OrderBy(F(c), descending=self.descending, **self._nulls(c)) for c in self.columns]

    @cached_property
    def _parts_sql(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Each part that can match, as SQL selecting the id and the sort columns, compiled
        once for the count and the page (PostgreSQL and SQLite flatten these subqueries, so
        each part still reads its own index in order and stops at its LIMIT).

        Only the ORM's own SQL and constant names are put around it; values stay parameters.
        """
        picked = ["id", *(c for c in self.columns if c != "id")]
        compiled = []
        for part in self.parts:
            try:
                compiled.append(part.values_list(*picked).query.sql_with_params())
            except EmptyResultSet:
                continue
        return compiled

    def _page_ids_sql(self, offset: int, limit: int) -> tuple[str, list[Any]] | None:
        if not self._parts_sql:
            return None
        pieces, params = [], []
        for number, (sql, part_params) in enumerate(self._parts_sql):
            alias = f"p{number}"
            pieces.append(
                f"SELECT * FROM (SELECT * FROM ({sql}) AS {alias} "  # noqa: S608
                f"ORDER BY {self._order_sql(alias)} LIMIT %s) AS l{number}"
            )
            params.extend([*part_params, offset + limit])
        return (
            f"SELECT u.id FROM ({' UNION ALL '.join(pieces)}) AS u "  # noqa: S608
            f"ORDER BY {self._order_sql('u')} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )

    def _order_sql(self, alias: str) -> str:
        """The ordering over a subquery's columns (named as in SORT_COLUMNS)."""
        direction = "DESC" if self.descending else "ASC"
        terms = []
        for column in self.columns:
            nulls = self._nulls(column)
            terms.append(f"{alias}.{column} {direction}")
            if nulls:
                terms[-1] += " NULLS FIRST" if "nulls_first" in nulls else " NULLS LAST"
        return ", ".join(terms)

    def _nulls(self, column: str) -> dict[str, bool]:
        """A run still in progress has no completion time and counts as the latest: last going
        up, first going down, which is how one index on completed_at reads either way."""
        if column != "completed_at":
            return {}
        return {"nulls_first": True} if self.descending else {"nulls_last": True}

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
