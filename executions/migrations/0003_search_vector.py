"""PostgreSQL full-text search for the Executions search (SPEC section 7).

Adds, on PostgreSQL only (this migration does nothing on SQLite, which searches with simple
icontains fallbacks instead, see executions/filters.py):

- ``executions_executionrecord.search_vector``: a tsvector of the record title, the procedure
  title, the variable values (never the secret mask), the notes and every step's notes. It is
  not a model field on purpose: Django never selects it, so lists don't carry it around, and
  SQLite needs no such column.
- Triggers keep it up to date. Triggers, not service calls, because the texts change through
  many paths (start, Save Draft, the API's step PATCH, lifecycle notes, the admin, bulk loads,
  a procedure rename) and a forgotten call would silently make records unfindable:
    * records: computed BEFORE INSERT, and BEFORE UPDATE when title, notes, variables or
      procedure change;
    * steps: one set-based UPDATE per statement (transition tables), so a Save Draft that
      changes many step notes, or a bulk COPY, recomputes each record once;
    * procedures: a rename recomputes that procedure's records.

The GIN index that answers ``q`` is in migration 0005, with the other filters.
"""

from __future__ import annotations

from django.db import migrations

from executions.migrations._postgres_only import on_postgresql

MASK = "••••••"  # procedures.documents.SECRET_MASK, frozen here as migrations must be

FORWARD = [
    "ALTER TABLE executions_executionrecord ADD COLUMN search_vector tsvector",
    # Hyphens between letters or digits separate words on both sides of a search (web-042 is
    # "web 042", CHG-20418 is "chg 20418"), so a host or ticket is also found by its number.
    r"""
    CREATE FUNCTION executions_search_words(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT regexp_replace(coalesce($1, ''), '(\w)-(?=\w)', '\1 ', 'g')
    $$
    """,
    # What the q parameter becomes: web-search syntax ("a phrase", or, -word), English stems.
    """
    CREATE FUNCTION executions_search_query(text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT websearch_to_tsquery('english', executions_search_words($1))
    $$
    """,
    """
    CREATE FUNCTION executions_search_document(
        title text, procedure_title text, notes text, step_notes text, variables jsonb
    ) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT setweight(to_tsvector('english', executions_search_words(title)), 'A')
          || setweight(to_tsvector('english', executions_search_words(procedure_title)), 'B')
          || setweight(to_tsvector('english', executions_search_words((
               SELECT string_agg(value, ' ')
               FROM jsonb_each_text(
                 CASE WHEN jsonb_typeof(variables) = 'object' THEN variables ELSE '{}' END)
               WHERE value <> '__MASK__'))), 'B')
          || setweight(to_tsvector('english', executions_search_words(notes)), 'C')
          || setweight(to_tsvector('english', executions_search_words(step_notes)), 'D')
    $$
    """.replace("__MASK__", MASK),
    # The steps' notes of one record, in step order.
    """
    CREATE FUNCTION executions_step_notes(record uuid) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT string_agg(notes, ' ' ORDER BY number)
      FROM executions_executionstep WHERE record_id = record AND notes <> ''
    $$
    """,
    """
    CREATE FUNCTION executions_record_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := executions_search_document(
        NEW.title,
        (SELECT title FROM procedures_procedure WHERE id = NEW.procedure_id),
        NEW.notes,
        executions_step_notes(NEW.id),
        NEW.variables);
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER executions_record_search_insert
    BEFORE INSERT ON executions_executionrecord
    FOR EACH ROW EXECUTE FUNCTION executions_record_search()
    """,
    """
    CREATE TRIGGER executions_record_search_update
    BEFORE UPDATE OF title, notes, variables, procedure_id ON executions_executionrecord
    FOR EACH ROW WHEN (
      OLD.title IS DISTINCT FROM NEW.title OR OLD.notes IS DISTINCT FROM NEW.notes
      OR OLD.variables IS DISTINCT FROM NEW.variables
      OR OLD.procedure_id IS DISTINCT FROM NEW.procedure_id
    ) EXECUTE FUNCTION executions_record_search()
    """,
    # Recomputes the records whose ids the calling trigger collected in "changed_records".
    """
    CREATE FUNCTION executions_refresh_search(records uuid[]) RETURNS void
    LANGUAGE sql AS $$
      UPDATE executions_executionrecord r
      SET search_vector = executions_search_document(
        r.title, p.title, r.notes, executions_step_notes(r.id), r.variables)
      FROM procedures_procedure p
      WHERE r.id = ANY(records) AND p.id = r.procedure_id
    $$
    """,
    """
    CREATE FUNCTION executions_step_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_search(ARRAY(
        SELECT DISTINCT record_id FROM new_steps WHERE notes <> ''));
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION executions_step_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_search(ARRAY(
        SELECT n.record_id FROM new_steps n JOIN old_steps o ON o.id = n.id
        WHERE n.notes IS DISTINCT FROM o.notes OR n.record_id <> o.record_id
        UNION
        SELECT o.record_id FROM new_steps n JOIN old_steps o ON o.id = n.id
        WHERE n.record_id <> o.record_id));
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION executions_step_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM executions_refresh_search(ARRAY(
        SELECT DISTINCT record_id FROM old_steps WHERE notes <> ''));
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER executions_step_search_insert AFTER INSERT ON executions_executionstep
    REFERENCING NEW TABLE AS new_steps
    FOR EACH STATEMENT EXECUTE FUNCTION executions_step_search_insert()
    """,
    """
    CREATE TRIGGER executions_step_search_update AFTER UPDATE ON executions_executionstep
    REFERENCING OLD TABLE AS old_steps NEW TABLE AS new_steps
    FOR EACH STATEMENT EXECUTE FUNCTION executions_step_search_update()
    """,
    """
    CREATE TRIGGER executions_step_search_delete AFTER DELETE ON executions_executionstep
    REFERENCING OLD TABLE AS old_steps
    FOR EACH STATEMENT EXECUTE FUNCTION executions_step_search_delete()
    """,
    """
    CREATE FUNCTION executions_procedure_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE executions_executionrecord r
      SET search_vector = executions_search_document(
        r.title, NEW.title, r.notes, executions_step_notes(r.id), r.variables)
      WHERE r.procedure_id = NEW.id;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER executions_procedure_search AFTER UPDATE OF title ON procedures_procedure
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION executions_procedure_search()
    """,
    # Records that exist already (the statement triggers above only see later changes).
    """
    UPDATE executions_executionrecord r
    SET search_vector = executions_search_document(
      r.title, p.title, r.notes, executions_step_notes(r.id), r.variables)
    FROM procedures_procedure p WHERE p.id = r.procedure_id
    """,
]

BACKWARD = [
    "DROP TRIGGER executions_procedure_search ON procedures_procedure",
    "DROP FUNCTION executions_procedure_search()",
    "DROP TRIGGER executions_step_search_insert ON executions_executionstep",
    "DROP TRIGGER executions_step_search_update ON executions_executionstep",
    "DROP TRIGGER executions_step_search_delete ON executions_executionstep",
    "DROP FUNCTION executions_step_search_insert()",
    "DROP FUNCTION executions_step_search_update()",
    "DROP FUNCTION executions_step_search_delete()",
    "DROP FUNCTION executions_refresh_search(uuid[])",
    "DROP TRIGGER executions_record_search_insert ON executions_executionrecord",
    "DROP TRIGGER executions_record_search_update ON executions_executionrecord",
    "DROP FUNCTION executions_record_search()",
    "DROP FUNCTION executions_step_notes(uuid)",
    "DROP FUNCTION executions_search_document(text, text, text, text, jsonb)",
    "DROP FUNCTION executions_search_query(text)",
    "DROP FUNCTION executions_search_words(text)",
    "ALTER TABLE executions_executionrecord DROP COLUMN search_vector",
]


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0002_search_indexes"),
        ("procedures", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False)
    ]
