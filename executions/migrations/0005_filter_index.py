"""One GIN index for the search's filters on PostgreSQL (nothing on SQLite).

``exec_live_filters_gin`` holds, for every live record, the lexemes of its search vector
(``q``), its variables (``var``, as ``variables @> '{"name": "value"}'`` with jsonb_path_ops),
its readers (shared with me, migration 0004) and, through btree_gin, its executor, procedure
and status. A search that combines any of these is answered by one index scan that
intersects their posting lists, so PostgreSQL visits only the records that match them all:
counting a group member's shared runs of one region visits those few thousand records, not
the 40,000 runs of that region. Ordered pages and date ranges use the btree indexes of
migration 0002.

The statistics targets are raised because the planner estimates ``@@``, ``@>`` and ``&&`` from
sampled lexemes, values and array elements; a larger sample keeps it from mistaking a rare
host name for a common one.
"""

from __future__ import annotations

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

from executions.migrations._postgres_only import on_postgresql

FORWARD = [
    """
    CREATE INDEX exec_live_filters_gin ON executions_executionrecord USING gin (
      search_vector, variables jsonb_path_ops, readers, executor_id, procedure_id, status
    ) WHERE deleted_at IS NULL
    """,
    "ALTER TABLE executions_executionrecord ALTER COLUMN search_vector SET STATISTICS 1000",
    "ALTER TABLE executions_executionrecord ALTER COLUMN variables SET STATISTICS 1000",
    "ALTER TABLE executions_executionrecord ALTER COLUMN readers SET STATISTICS 1000",
]

BACKWARD = [
    "DROP INDEX exec_live_filters_gin",
    "ALTER TABLE executions_executionrecord ALTER COLUMN search_vector SET STATISTICS -1",
    "ALTER TABLE executions_executionrecord ALTER COLUMN variables SET STATISTICS -1",
    "ALTER TABLE executions_executionrecord ALTER COLUMN readers SET STATISTICS -1",
]


class Migration(migrations.Migration):
    dependencies = [("executions", "0004_record_readers")]

    operations = [
        BtreeGinExtension(),  # does nothing on other databases
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False),
    ]
