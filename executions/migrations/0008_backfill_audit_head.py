"""Fills in the audit head (``audit_seq``, ``audit_head``, migration 0007) of existing records
from their latest event.

Set-based and portable: one ``UPDATE ... SET audit_seq = (SELECT seq ...), audit_head =
(SELECT hash ...)`` per batch of records (ranges of primary keys, in key order), each batch in
its own transaction, so a million records never hold their row locks all at once and an
interrupted run keeps what it did. Running it again recomputes the same heads.

Stop the application (or at least its writes) while this runs: an event appended by the
previous version, which did not keep the head, leaves its record's head behind, and
``manage.py verify_audit`` reports that record. To recompute every head, run this migration
again: ``manage.py migrate executions 0007 && manage.py migrate executions``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

BATCH_SIZE = 10_000


def audit_heads_backfill(
    record_model: Any, event_model: Any, *, batch_size: int = BATCH_SIZE, using: str = "default"
) -> int:
    """Sets every record's head to its latest event (0 and '' without events); returns how many
    records it went through. Takes the models as arguments: the migration's historical ones, or
    the real ones in tests."""
    records = record_model._default_manager.db_manager(using)
    latest = event_model._default_manager.db_manager(using).filter(record=OuterRef("pk"))
    latest = latest.order_by("-seq")
    done = 0
    after = None
    while True:
        batch = records.all() if after is None else records.filter(pk__gt=after)
        # The batch's last key, batch_size - 1 rows on in key order; none for the final batch.
        last = list(batch.order_by("pk").values_list("pk", flat=True)[batch_size - 1 : batch_size])
        if last:
            batch = batch.filter(pk__lte=last[0])
        with transaction.atomic(using=using):
            done += batch.update(
                audit_seq=Coalesce(Subquery(latest.values("seq")[:1]), Value(0)),
                audit_head=Coalesce(Subquery(latest.values("hash")[:1]), Value("")),
            )
        if not last:
            return done
        after = last[0]


def forward(apps: Any, schema_editor: Any) -> None:
    audit_heads_backfill(
        apps.get_model("executions", "ExecutionRecord"),
        apps.get_model("executions", "ExecutionEvent"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    # Each batch commits on its own (see the module docstring).
    atomic = False

    dependencies = [
        ("executions", "0007_record_audit_head"),
    ]

    operations = [
        # Backwards: nothing to undo, the fields go with 0007; it lets the backfill run again.
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
