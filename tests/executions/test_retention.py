from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from executions import services
from executions.models import ExecutionEvent, ExecutionRecord, RetentionPolicy
from executions.retention import (
    execution_delete,
    execution_restore,
    execution_set_legal_hold,
    retention_apply,
)
from opscore.exceptions import Conflict
from sharing.policy import visible_to

Action = ExecutionEvent.Action


def aged(record: ExecutionRecord, days: int) -> ExecutionRecord:
    ExecutionRecord.objects.filter(pk=record.pk).update(
        started_at=timezone.now() - timedelta(days=days)
    )
    record.refresh_from_db()
    return record


# ---- delete and restore --------------------------------------------------------------------


def test_delete_is_soft_and_the_record_is_gone_everywhere(record, alice, admin_user):
    execution_delete(record=record, user=alice)
    record.refresh_from_db()
    assert record.deleted_at is not None
    assert record.deleted_by == alice
    assert not visible_to(alice).exists()
    assert not visible_to(admin_user).exists()
    assert record.events.order_by("-seq").first().action == Action.DELETED


def test_deleted_record_answers_404_on_every_surface(alice_client, record, alice):
    execution_delete(record=record, user=alice)
    assert alice_client.get(record.get_absolute_url()).status_code == 404
    api = APIClient()
    api.force_authenticate(alice)
    assert api.get(f"/api/v1/executions/{record.pk}/").status_code == 404
    assert api.get(f"/api/v1/executions/{record.pk}/events/").status_code == 404
    assert api.get("/api/v1/executions/").json()["count"] == 0
    assert record.title not in alice_client.get(reverse("executions:list")).content.decode()


def test_only_the_executor_deletes(record, bob, admin_user):
    for user in (bob, admin_user):
        with pytest.raises(PermissionDenied):
            execution_delete(record=record, user=user)


def test_a_record_on_legal_hold_cannot_be_deleted(record, alice, admin_user):
    execution_set_legal_hold(record=record, user=admin_user, hold=True)
    with pytest.raises(Conflict):
        execution_delete(record=record, user=alice)


def test_delete_from_the_page_and_the_api(alice_client, alice, make_record, admin_client):
    first, second = make_record(), make_record()
    response = alice_client.post(reverse("executions:delete", args=[first.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("executions:list")
    assert admin_client.post(reverse("executions:delete", args=[second.pk])).status_code == 403
    api = APIClient()
    api.force_authenticate(alice)
    assert api.delete(f"/api/v1/executions/{second.pk}/").status_code == 204
    assert api.delete(f"/api/v1/executions/{second.pk}/").status_code == 404
    assert ExecutionRecord.objects.filter(deleted_at__isnull=True).count() == 0


def test_restore_brings_it_back_for_administrators_only(record, alice, admin_user):
    execution_delete(record=record, user=alice)
    with pytest.raises(PermissionDenied):
        execution_restore(record=record, user=alice)
    execution_restore(record=record, user=admin_user)
    assert visible_to(alice).get() == record
    with pytest.raises(Conflict):
        execution_restore(record=record, user=admin_user)
    assert list(record.events.values_list("action", flat=True).order_by("seq"))[-2:] == [
        Action.DELETED,
        Action.RESTORED,
    ]


def test_purged_record_cannot_be_restored(record, alice, admin_user):
    execution_delete(record=record, user=alice)
    ExecutionRecord.objects.filter(pk=record.pk).update(purged_at=timezone.now())
    with pytest.raises(Conflict):
        execution_restore(record=record, user=admin_user)


def test_legal_hold_is_for_administrators_and_audited(record, alice, admin_user):
    with pytest.raises(PermissionDenied):
        execution_set_legal_hold(record=record, user=alice, hold=True)
    execution_set_legal_hold(record=record, user=admin_user, hold=True)
    execution_set_legal_hold(record=record, user=admin_user, hold=True)  # no second event
    assert record.events.filter(action=Action.LEGAL_HOLD).count() == 1


# ---- retention -----------------------------------------------------------------------------


@pytest.fixture
def old_and_new(make_record, alice):
    old_completed = aged(make_record(), 400)
    services.execution_complete(record=old_completed, user=alice)
    old_failed = aged(make_record(), 400)
    services.execution_fail(record=old_failed, user=alice, reason="x")
    recent = aged(make_record(), 10)
    return old_completed, old_failed, recent


def test_retention_deletes_only_what_a_policy_matches(old_and_new, procedure):
    old_completed, old_failed, recent = old_and_new
    RetentionPolicy.objects.create(name="completed after a year", status="completed", age_days=365)
    report = retention_apply()
    assert report.by_policy == {"completed after a year": 1}
    old_completed.refresh_from_db()
    old_failed.refresh_from_db()
    recent.refresh_from_db()
    assert old_completed.deleted_at is not None
    assert old_failed.deleted_at is None
    assert recent.deleted_at is None
    event = old_completed.events.order_by("-seq").first()
    assert (event.action, event.actor_name) == (Action.DELETED, "system")
    assert event.data == {"reason": "retention policy completed after a year"}


def test_retention_by_procedure_and_any_status(old_and_new, procedure):
    RetentionPolicy.objects.create(name="this runbook", procedure=procedure, age_days=30)
    RetentionPolicy.objects.create(name="disabled", age_days=1, enabled=False)
    assert retention_apply().by_policy == {"this runbook": 2}


def test_dry_run_changes_nothing_and_a_second_run_is_a_no_op(old_and_new):
    RetentionPolicy.objects.create(name="all", age_days=100)
    events_before = ExecutionEvent.objects.count()
    assert retention_apply(dry_run=True).by_policy == {"all": 2}
    assert ExecutionRecord.objects.filter(deleted_at__isnull=False).count() == 0
    assert ExecutionEvent.objects.count() == events_before
    assert retention_apply().total == 2
    assert retention_apply().total == 0
    assert ExecutionEvent.objects.count() == events_before + 2


def test_legal_hold_exempts_from_retention(old_and_new, admin_user):
    old_completed, _, _ = old_and_new
    execution_set_legal_hold(record=old_completed, user=admin_user, hold=True)
    RetentionPolicy.objects.create(name="all", age_days=100)
    assert retention_apply().total == 1
    old_completed.refresh_from_db()
    assert old_completed.deleted_at is None


def test_apply_retention_command_reports(old_and_new, capsys):
    RetentionPolicy.objects.create(name="all", age_days=100)
    call_command("apply_retention", "--dry-run")
    assert "policy all: would delete 2 records" in capsys.readouterr().out
    call_command("apply_retention")
    assert "total: deleted 2 records" in capsys.readouterr().out


# ---- admin ---------------------------------------------------------------------------------


def test_admin_trash_lists_deleted_records_and_restores_them(admin_client, record, alice):
    execution_delete(record=record, user=alice)
    trash = reverse("admin:executions_deletedexecutionrecord_changelist")
    assert record.title in admin_client.get(trash).content.decode()
    live = reverse("admin:executions_executionrecord_changelist")
    assert record.title not in admin_client.get(live).content.decode()
    response = admin_client.post(
        trash, {"action": "restore", "_selected_action": [str(record.pk)]}, follow=True
    )
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.deleted_at is None


def test_admin_audit_log_is_read_only(admin_client, record):
    event = record.events.get()
    change = reverse("admin:executions_executionevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"action": "deleted"}).status_code == 403
    assert admin_client.get(reverse("admin:executions_executionevent_add")).status_code == 403
    delete = reverse("admin:executions_executionevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "created"


def test_staff_without_the_view_all_permission_sees_no_records(make_user, record):
    from tests.conftest import logged_in

    staff = make_user("staffer", is_staff=True)
    client = logged_in(staff)
    url = reverse("admin:executions_executionrecord_changelist")
    assert client.get(url).status_code == 403


def test_retention_works_through_many_batches(make_record, monkeypatch):
    import executions.retention as retention

    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    for _ in range(5):
        aged(make_record(), 400)
    RetentionPolicy.objects.create(name="all", age_days=100)
    assert retention_apply().total == 5
    assert not ExecutionRecord.objects.filter(deleted_at__isnull=True).exists()
