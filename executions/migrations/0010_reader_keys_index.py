"""A second, small GIN index for the "shared with me" part of a user reached by many shares
(PostgreSQL only; nothing on SQLite).

``executions_reader_keys(readers, procedure_id, status)`` lists, for each principal of the
record's ``readers`` (migration 0004), ``'<principal>/p<procedure id>'`` and
``'<principal>/s<status>'``. "Shared with g1 or u2, of procedure 3" is then one condition,
``executions_reader_keys(...) && '{u2/p3,g1/p3}'`` (sharing.policy.VisibleParts.conditions),
whose posting lists hold only those records: through ``exec_live_filters_gin`` PostgreSQL
intersected the group's 82,000 records with the procedure's 100,000 (a BitmapAnd with the
procedure_id btree, ~25 ms per count at 1M records).

An expression index: no column, no trigger. PostgreSQL keeps it on every insert and non-HOT
update; readers, procedure and status are indexed already, so no HOT update stops being HOT.
Partial on live records that have readers (15% of them at 1M): 1.5 MB, built in ~1.5 s.
CONCURRENTLY, so records stay writable while it builds; hence not atomic.
"""

from __future__ import annotations

from django.db import migrations

from executions.migrations._postgres_only import on_postgresql

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION executions_reader_keys(
      readers text[], procedure_id bigint, status text
    )
    RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT array_agg(k) FROM unnest(readers) AS r,
        LATERAL (VALUES (r || '/p' || procedure_id), (r || '/s' || status)) AS v(k)
    $$
    """,
    """
    CREATE INDEX CONCURRENTLY IF NOT EXISTS exec_live_reader_keys_gin
    ON executions_executionrecord USING gin (executions_reader_keys(readers, procedure_id, status))
    WHERE deleted_at IS NULL AND readers IS NOT NULL
    """,
    # Statistics of the index expression: how few records a key matches.
    "ANALYZE executions_executionrecord",
]

BACKWARD = [
    "DROP INDEX CONCURRENTLY IF EXISTS exec_live_reader_keys_gin",
    "DROP FUNCTION IF EXISTS executions_reader_keys(text[], bigint, text)",
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("executions", "0009_event_actor_protected")]

    operations = [
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False)
    ]
