"""Shared by the PostgreSQL-only migrations (the loader skips modules starting with "_")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def on_postgresql(statements: list[str]) -> Callable[[Any, Any], None]:
    """A RunPython function running ``statements`` on PostgreSQL and nothing elsewhere: SQLite
    searches with simple fallbacks instead (executions.filters)."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run
