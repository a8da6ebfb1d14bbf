"""The Executions search (SPEC section 7): one read that costs the same at any scale.

A page costs two queries whatever the user sees, three records or a million: a count that
stops at ``COUNT_CAP`` + 1, and the page's records with their list columns (for the API, with
the names each record is shared with).

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

A search by keywords or variables finds its matches through the GIN index, in no page order,
so on PostgreSQL its count keeps them and, when they are not more than COUNT_CAP, orders them
for the first page too: the page then reads its rows by id instead of finding them again.

On PostgreSQL the parts are written as SQL from the conditions of the policy and of the
FilterSet (``VisibleParts.conditions``, ``ExecutionFilter.conditions``), and the API's page is
read in one written statement: building them with the ORM cost several times what PostgreSQL
takes to run them (SPEC section 12: at most twice). Elsewhere the ORM builds them from the
querysets and filter methods, and tests/executions/test_search_postgres.py holds the two
equal for every filter, scope and kind of user.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, OrderBy, QuerySet
from django.db.models.expressions import RawSQL

from executions.filters import ExecutionFilter
from executions.models import ExecutionRecord
from procedures.models import Procedure, ProcedureVersion
from sharing.models import Share
from sharing.policy import VisibleParts

COUNT_CAP = 10_000
PAGE_SIZE = 25  # of the Executions page and of the API

# Every ordering ends with the start time and the id, in the same direction, so that pages
# are stable and each ordering is served by one index (executions.models.ExecutionRecord).
SORT_COLUMNS = {
    "started_at": ("started_at", "id"),
    "completed_at": ("completed_at", "started_at", "id"),
    "title": ("title", "started_at", "id"),
    "status": ("status", "started_at", "id"),
}

# The columns of a list row (executions.serializers.list_rows), in _list_rows_sql's order.
LIST_COLUMNS = (
    "id", "title", "status", "procedure_id", "procedure__title", "procedure_version_id",
    "procedure_version__number", "executor_id", "executor__username", "started_at",
    "completed_at", "variables", "notes", "access_scope", "version",
)  # fmt: skip

Statement = tuple[str, list[Any]]


def execution_search(
    *, user: Any, filterset: ExecutionFilter, rows: QuerySet[ExecutionRecord] | None = None
) -> SearchResults:
    """The records ``user`` may see that match the (valid) ``filterset``, for a Paginator.

    A page is read as model instances of ``rows`` (select/prefetch_related of the caller), or,
    with ``rows=None``, as list rows: dicts of ``LIST_COLUMNS`` and the names the record is
    shared with (``shared_users``, ``shared_groups``), for executions.serializers.list_rows.
    """
    parts = VisibleParts(user)
    columns = SORT_COLUMNS[filterset.ordering_value.removeprefix("-")]
    db = ExecutionRecord.objects.db
    if connections[db].vendor == "postgresql":
        statements = _written(parts, filterset, columns)
        # Keywords and variables are found through the GIN index, in no useful order: the
        # page would read every match again to sort them. The count reads them once.
        first_page = PAGE_SIZE if filterset.finds_unordered else 0
    else:
        statements = _compiled(parts, filterset, columns)
        first_page = 0
    return SearchResults(statements, filterset.ordering_value, db, rows, first_page=first_page)


def _written(
    parts: VisibleParts, filterset: ExecutionFilter, columns: Sequence[str]
) -> list[Statement]:
    """PostgreSQL: each part as a statement written from the policy's and the FilterSet's
    conditions (``VisibleParts.conditions``, ``ExecutionFilter.conditions``); building it
    with the ORM cost several times what PostgreSQL takes to run it. A part that reads the
    procedure and status filters through reader keys (``ExecutionFilter.reader_keys``) leaves
    them out of its own conditions."""
    visible = parts.conditions(filterset.scope_value, keyed=filterset.reader_keys())
    filters = filterset.conditions() if visible else None
    if filters is None:
        return []
    unkeyed = filterset.conditions(keyed=True) if any(part.keyed for part in visible) else None
    picked = ", ".join(f"r.{column}" for column in _picked(columns))
    table = ExecutionRecord._meta.db_table
    statements = []
    for part in visible:
        chosen = (unkeyed or []) if part.keyed else filters
        where = " AND ".join([part.sql, *(sql for sql, _ in chosen)])
        values = [*part.params, *(value for _, filter_values in chosen for value in filter_values)]
        statements.append((f"SELECT {picked} FROM {table} r WHERE {where}", values))  # noqa: S608
    return statements


def _compiled(
    parts: VisibleParts, filterset: ExecutionFilter, columns: Sequence[str]
) -> list[Statement]:
    """Elsewhere (SQLite): each part filtered by the FilterSet's methods and compiled by the
    ORM."""
    scope = filterset.scope_value
    if scope == "mine":
        chosen = [parts.own()]
    elif scope == "shared":
        chosen = [parts.shared()]
    else:
        chosen = parts.everything()
    statements = []
    for part in chosen:
        filtered = filterset.filter_queryset(part).order_by()
        if filtered.query.is_empty():
            continue
        try:
            sql, params = filtered.values_list(*_picked(columns)).query.sql_with_params()
        except EmptyResultSet:
            continue
        statements.append((sql, list(params)))
    return statements


def _picked(columns: Sequence[str]) -> list[str]:
    """A part selects the id and the sort columns."""
    return ["id", *(column for column in columns if column != "id")]


class SearchResults:
    """Search results shaped for Django's Paginator: a capped ``count()`` and page slices.

    ``parts`` are statements selecting the id and the sort columns of each part of what the
    user may see, filtered; they are read once for the count and, each ordered and limited
    and then merged, for a page. PostgreSQL and SQLite flatten them as subqueries, so each part
    still reads its own index in order and stops at its LIMIT. Only these statements and
    constant names are put around them; values stay parameters.
    """

    def __init__(
        self,
        parts: Sequence[Statement],
        ordering: str,
        db: str,
        rows: QuerySet[ExecutionRecord] | None = None,
        *,
        first_page: int = 0,
    ) -> None:
        self.parts = list(parts)
        self.descending = ordering.startswith("-")
        self.columns = SORT_COLUMNS[ordering.removeprefix("-")]
        self.db = db
        self.rows = rows
        # With first_page, the count (PostgreSQL) also returns the ids of the first page when
        # it is not capped: then it has read every match already, and they are few.
        self.first_page = first_page
        self._first_ids: list[Any] | None = None

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
        if count is None:
            return 0
        matched, *first_ids = self._fetch(*count)[0]
        if first_ids and first_ids[0] is not None:
            self._first_ids = first_ids[0]
        return int(matched)

    def _count_sql(self) -> Statement | None:
        if not self.parts:
            return None
        if self.first_page:
            return self._count_and_first_page_sql()
        union, params = self._union("1")
        # LIMIT on the UNION ALL stops reading as soon as COUNT_CAP + 1 rows have come.
        return (
            f"SELECT COUNT(*) FROM ({union} LIMIT %s) AS matches",  # noqa: S608
            [*params, COUNT_CAP + 1],
        )

    def _count_and_first_page_sql(self) -> Statement:
        """The count, and the first page's ids when it is not capped (else NULL): the matches
        are kept (at most COUNT_CAP + 1 ids and sort columns) and ordered once."""
        union, params = self._union("*")
        return (
            f"WITH matches AS MATERIALIZED ({union} LIMIT %s) "  # noqa: S608
            "SELECT n, CASE WHEN n <= %s THEN ARRAY("
            f"SELECT m.id FROM matches m ORDER BY {self._order_sql('m')} LIMIT %s) END "
            "FROM (SELECT COUNT(*) AS n FROM matches) AS c",
            [*params, COUNT_CAP + 1, COUNT_CAP, self.first_page],
        )

    def _union(self, select: str) -> Statement:
        """``SELECT <select>`` of every part, UNION ALL."""
        union = " UNION ALL ".join(
            f"SELECT {select} FROM ({sql}) AS p{number}"  # noqa: S608 - see the class
            for number, (sql, _) in enumerate(self.parts)
        )
        return union, [param for _, part_params in self.parts for param in part_params]

    def __getitem__(self, index: slice) -> list[Any]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("Search results are read a page (a slice) at a time.")
        offset, stop = index.start or 0, index.stop
        if stop is None or stop <= offset:
            return []
        if offset == 0 and self._first_ids is not None and stop <= self.first_page:
            # The count's scan found them: the page reads their rows by id.
            first = self._first_ids[:stop]
            if not first:
                return []
            page: Statement | None = (", ".join(["%s"] * len(first)), first)
        else:
            page = self._page_ids_sql(offset, stop - offset)
        if page is None:
            return []
        if self.rows is None and connections[self.db].vendor == "postgresql":
            return self._list_rows(*page)
        # One query: the page's ids (merged from the parts) and their rows, in order.
        ids = RawSQL(*page)  # noqa: S611 - the parts' SQL and constant names, see the class
        source = ExecutionRecord.objects.all() if self.rows is None else self.rows
        records = source.filter(pk__in=ids).order_by(*self._order_by())
        if self.rows is None:  # list rows elsewhere: the ORM's, and one query for the shares
            return _with_shares(list(records.values(*LIST_COLUMNS)))
        return list(records)

    def _list_rows(self, ids_sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """PostgreSQL: the page's list rows and their shares' names in one written statement."""
        sql = _list_rows_sql().format(ids=ids_sql, order=self._order_sql("r"))
        rows = []
        for values in self._fetch(sql, params):
            row = dict(zip(LIST_COLUMNS, values, strict=False))
            row["variables"] = _json(row["variables"])  # Django has psycopg read jsonb as text
            row["shared_users"], row["shared_groups"] = values[-2:]
            rows.append(row)
        return rows

    def _order_by(self) -> list[OrderBy]:
        return [OrderBy(F(c), descending=self.descending, **self._nulls(c)) for c in self.columns]

    def _page_ids_sql(self, offset: int, limit: int) -> tuple[str, list[Any]] | None:
        if not self.parts:
            return None
        pieces, params = [], []
        for number, (sql, part_params) in enumerate(self.parts):
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


_json = json.JSONDecoder().decode


@functools.cache
def _list_rows_sql() -> str:
    """The page's list rows (``LIST_COLUMNS``), then the users and the groups their shares
    name, in one statement. Table names come from the models' metadata; ``{ids}`` (the page's
    ids) and ``{order}`` are filled in per page."""
    names = {
        "record": ExecutionRecord._meta.db_table,
        "procedure": Procedure._meta.db_table,
        "version": ProcedureVersion._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "share": Share._meta.db_table,
        "group": Group._meta.db_table,
    }
    return (  # noqa: S608 - names from the models' metadata
        "SELECT r.id, r.title, r.status, r.procedure_id, p.title, r.procedure_version_id, "
        "v.number, r.executor_id, u.username, r.started_at, r.completed_at, r.variables, "
        "r.notes, r.access_scope, r.version, "
        "ARRAY(SELECT su.username FROM {share} s JOIN {user} su ON su.id = s.user_id "
        "WHERE s.record_id = r.id), "
        "ARRAY(SELECT g.name FROM {share} s JOIN {group} g ON g.id = s.group_id "
        "WHERE s.record_id = r.id) "
        "FROM {record} r JOIN {procedure} p ON p.id = r.procedure_id "
        "JOIN {version} v ON v.id = r.procedure_version_id JOIN {user} u ON u.id = r.executor_id "
        "WHERE r.id IN ({{ids}}) ORDER BY {{order}}"
    ).format(**names)


def _with_shares(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the users and the groups their shares name (one query)."""
    shared: dict[Any, tuple[list[str], list[str]]] = {row["id"]: ([], []) for row in rows}
    shares = Share.objects.filter(record_id__in=list(shared)).values_list(
        "record_id", "user__username", "group__name"
    )
    for record_id, username, group in shares:
        if username is not None:
            shared[record_id][0].append(username)
        if group is not None:
            shared[record_id][1].append(group)
    for row in rows:
        row["shared_users"], row["shared_groups"] = shared[row["id"]]
    return rows
