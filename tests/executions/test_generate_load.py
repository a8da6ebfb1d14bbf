"""manage.py generate_load: realistic, consistent data for the benchmarks."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from executions.audit import ChainHead, verify_chain, verify_records
from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep
from procedures.documents import SECRET_MASK
from sharing.models import Share
from sharing.policy import VisibleParts, visible_to


@pytest.fixture
def loaded(db):
    call_command("generate_load", records=60, seed=7, batch=25, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return ExecutionRecord.objects.all()


def test_every_record_has_five_steps_and_an_intact_audit_chain(loaded):
    assert loaded.count() == 60
    assert ExecutionStep.objects.count() == 300
    for record in loaded:
        events = list(ExecutionEvent.objects.filter(record=record).order_by("seq"))
        assert events[0].action == "created"
        assert verify_chain(events, str(record.pk), head=ChainHead.of(record)) == []
        assert record.version == record.audit_seq == len(events)
    assert verify_records().breaks == []  # as manage.py verify_audit sees them


def test_records_are_varied_like_real_ones(loaded):
    assert {r.status for r in loaded} >= {"completed", "failed"}
    assert loaded.values("procedure").distinct().count() > 3
    assert loaded.values("executor").distinct().count() > 3
    assert all(r.variables for r in loaded)
    span = max(r.started_at for r in loaded) - min(r.started_at for r in loaded)
    assert span.days > 300
    secrets = [v for r in loaded for k, v in r.variables.items() if k.endswith("password")]
    assert secrets and set(secrets) == {SECRET_MASK}  # never a clear secret


def test_shares_make_records_visible_to_others(loaded):
    shared = loaded.filter(access_scope="shared")
    assert shared.exists()
    assert set(Share.objects.values_list("record_id", flat=True)) == set(
        shared.values_list("pk", flat=True)
    )
    auditor = Share.objects.filter(user__username="auditor").first().user
    assert visible_to(auditor).count() == 5
    parts = VisibleParts(auditor).everything()
    assert sum(p.count() for p in parts) == 5


def test_a_second_run_adds_records_and_reuses_people_and_procedures(loaded):
    from django.contrib.auth.models import User

    from procedures.models import Procedure

    users, procedures = User.objects.count(), Procedure.objects.count()
    call_command("generate_load", records=10, seed=8, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ExecutionRecord.objects.count() == 70
    assert (User.objects.count(), Procedure.objects.count()) == (users, procedures)


def test_nonsense_arguments_are_refused(db):
    with pytest.raises(CommandError):
        call_command("generate_load", records=0)


@pytest.mark.postgres
def test_bulk_vectors_and_readers_equal_what_the_triggers_compute(loaded):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM executions_executionrecord r
            JOIN procedures_procedure p ON p.id = r.procedure_id
            WHERE r.search_vector IS DISTINCT FROM executions_search_document(
                    r.title, p.title, r.notes, executions_step_notes(r.id), r.variables)
               OR r.readers IS DISTINCT FROM executions_record_readers(r.id)
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # triggers are back on after the load
