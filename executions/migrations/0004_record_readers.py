"""Who a record is shared with, on the record itself (PostgreSQL only; nothing on SQLite).

``executions_executionrecord.readers`` lists the principals of the record's shares, as text:
``'u<user id>'`` and ``'g<group id>'``. The search asks "shared with me" as a condition on the
record row, ``readers && ARRAY['u7', 'g1', 'g3']`` (the user and their groups), which one GIN
index (migration 0005) answers together with the other filters, and which is checked while
records are read in page order. Through a join with the shares instead, a group member who
sees 100,000 shared records paid for reading them all to find one procedure's runs.

Triggers on the shares table keep it exact, whatever writes the shares (the Share dialog, the
API, the admin, a deletion cascade); ``sharing.policy`` still reads the shares table on other
databases. Not a model field, like ``search_vector`` (migration 0003).
"""

from __future__ import annotations

from django.db import migrations

from executions.migrations._postgres_only import on_postgresql

FORWARD = [
    "ALTER TABLE executions_executionrecord ADD COLUMN readers text[]",
    """
    CREATE FUNCTION executions_record_readers(record uuid) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT array_agg(CASE WHEN user_id IS NOT NULL THEN 'u' || user_id ELSE 'g' || group_id END
                       ORDER BY user_id, group_id)
      FROM sharing_share WHERE record_id = record
    $$
    """,
    """
    CREATE FUNCTION executions_refresh_readers(records uuid[]) RETURNS void
    LANGUAGE sql AS $$
      UPDATE executions_executionrecord SET readers = executions_record_readers(id)
      WHERE id = ANY(records)
    $$
    """,
    """
    CREATE FUNCTION executions_share_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_readers(ARRAY(SELECT DISTINCT record_id FROM new_shares));
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION executions_share_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_readers(ARRAY(
        SELECT record_id FROM new_shares UNION SELECT record_id FROM old_shares));
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION executions_share_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_readers(ARRAY(SELECT DISTINCT record_id FROM old_shares));
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER executions_share_insert AFTER INSERT ON sharing_share
    REFERENCING NEW TABLE AS new_shares
    FOR EACH STATEMENT EXECUTE FUNCTION executions_share_insert()
    """,
    """
    CREATE TRIGGER executions_share_update AFTER UPDATE ON sharing_share
    REFERENCING OLD TABLE AS old_shares NEW TABLE AS new_shares
    FOR EACH STATEMENT EXECUTE FUNCTION executions_share_update()
    """,
    """
    CREATE TRIGGER executions_share_delete AFTER DELETE ON sharing_share
    REFERENCING OLD TABLE AS old_shares
    FOR EACH STATEMENT EXECUTE FUNCTION executions_share_delete()
    """,
    """
    UPDATE executions_executionrecord r SET readers = executions_record_readers(r.id)
    WHERE EXISTS (SELECT 1 FROM sharing_share s WHERE s.record_id = r.id)
    """,
]

BACKWARD = [
    "DROP TRIGGER executions_share_insert ON sharing_share",
    "DROP TRIGGER executions_share_update ON sharing_share",
    "DROP TRIGGER executions_share_delete ON sharing_share",
    "DROP FUNCTION executions_share_insert()",
    "DROP FUNCTION executions_share_update()",
    "DROP FUNCTION executions_share_delete()",
    "DROP FUNCTION executions_refresh_readers(uuid[])",
    "DROP FUNCTION executions_record_readers(uuid)",
    "ALTER TABLE executions_executionrecord DROP COLUMN readers",
]


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0003_search_vector"),
        ("sharing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False)
    ]
