"""SQL pieces of the search that the ORM has no words for.

``SearchMatch`` and ``SharedWithAny`` use the PostgreSQL-only columns of migrations executions
0003 (``search_vector``) and 0004 (``readers``); they are not model fields, so they are reached
through the filtered query's own table alias. ``VariableValueLike`` is the SQLite fallback for
keywords in variable values.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression

from procedures.documents import SECRET_MASK


class _RecordCondition(Expression):
    """A condition on the record table of the query being compiled."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def _table(self, compiler: Any) -> str:
        return compiler.quote_name_unless_alias(compiler.query.base_table)


class SearchMatch(_RecordCondition):
    """``search_vector @@ executions_search_query(q)``: the GIN-indexed full-text match."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("Full-text search needs PostgreSQL; SQLite uses the fallback.")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # The text is a bound parameter; the function is immutable, so the planner folds it
        # into a constant tsquery and estimates the match from the column's statistics.
        return f"{self._table(compiler)}.search_vector @@ executions_search_query(%s)", [self.value]


class VariableValueLike(_RecordCondition):
    """SQLite: some variable value contains the text (case-insensitive); never the mask."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("VariableValueLike is the SQLite fallback.")

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        pattern = f"%{connection.ops.prep_for_like_query(self.value)}%"
        # Only the table alias is formatted in, quoted by the compiler.
        sql = (
            f'EXISTS (SELECT 1 FROM json_each({self._table(compiler)}."variables") AS value '  # noqa: S608
            "WHERE value.value LIKE %s ESCAPE '\\' AND value.value <> %s)"
        )
        return sql, [pattern, SECRET_MASK]


class SharedWithAny(_RecordCondition):
    """``readers && ARRAY[...]``: shared with one of these principals ('u<id>', 'g<id>'),
    answered by the GIN index on the trigger-kept ``readers`` column."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("SharedWithAny needs PostgreSQL; elsewhere join the shares.")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return f"{self._table(compiler)}.readers && %s::text[]", [list(self.value)]
