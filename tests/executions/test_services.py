from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from executions import services
from executions.audit import verify_records
from executions.models import ExecutionEvent, ExecutionRecord, ImmutableEventError
from opscore.exceptions import Conflict
from procedures.documents import SECRET_MASK

Action = ExecutionEvent.Action


def actions(record: ExecutionRecord) -> list[str]:
    return list(record.events.order_by("seq").values_list("action", flat=True))


# ---- start -------------------------------------------------------------------------------


def test_start_copies_steps_and_stores_values_with_defaults(version, alice):
    record = services.execution_start(
        version=version, user=alice, values={"server": "web-042", "admin_password": "s3cret"}
    )
    assert record.status == ExecutionRecord.Status.IN_PROGRESS
    assert record.executor == alice
    assert record.procedure_id == version.procedure_id
    assert record.variables == {
        "server": "web-042",
        "port": "443",
        "environment": "staging",
        "admin_password": SECRET_MASK,
    }
    steps = list(record.steps.order_by("number").values_list("number", "description"))
    assert steps == [
        (1, "Drain {{ server }} from the load balancer."),
        (2, "Install the new certificate on port {{ port }} with password {{ admin_password }}."),
        (3, "Return {{ server }} to the pool."),
    ]
    assert actions(record) == [Action.CREATED]


def test_start_default_title_is_procedure_title_and_start_time(version, alice):
    record = services.execution_start(version=version, user=alice, values={"server": "a"})
    assert record.title.startswith("Rotate TLS certificate, ")
    assert record.title[-16:-6].count("-") == 2  # YYYY-MM-DD HH:MM


def test_start_keeps_a_given_title(version, alice):
    record = services.execution_start(
        version=version, user=alice, values={"server": "a"}, title="  CHG-1  "
    )
    assert record.title == "CHG-1"


@pytest.mark.parametrize(
    ("values", "variable", "message"),
    [
        ({}, "server", "Server is required."),
        ({"server": "a", "port": "four"}, "port", "must be a number"),
        ({"server": "a", "environment": "prod"}, "environment", "must be one of"),
        ({"server": "a", "colour": "red"}, "colour", "Unknown variable 'colour'"),
    ],
)
def test_start_refuses_bad_values_naming_the_variable(version, alice, values, variable, message):
    with pytest.raises(ValidationError) as caught:
        services.execution_start(version=version, user=alice, values=values)
    assert message in " ".join(caught.value.by_variable[variable])
    assert ExecutionRecord.objects.count() == 0


def test_secret_is_never_stored_or_written_to_events_in_clear(version, alice):
    record = services.execution_start(
        version=version, user=alice, values={"server": "a", "admin_password": "hunter2"}
    )
    record.refresh_from_db()
    services.execution_save_draft(
        record=record, user=alice, version=record.version,
        variables={"server": "b", "admin_password": "hunter3"},
    )  # fmt: skip
    stored = ExecutionRecord.objects.values_list("variables", flat=True).get()
    assert stored["admin_password"] == SECRET_MASK
    for event in ExecutionEvent.objects.all():
        assert "hunter" not in str(event.data)


def test_inactive_user_cannot_start(version, alice):
    alice.is_active = False
    with pytest.raises(PermissionDenied):
        services.execution_start(version=version, user=alice, values={"server": "a"})


# ---- save draft ----------------------------------------------------------------------------


def test_save_draft_saves_everything_in_one_event_and_bumps_version(record, alice):
    saved = services.execution_save_draft(
        record=record, user=alice, version=1, title="New title", notes="Some notes",
        variables={"server": "web-043", "environment": "production"},
        step_notes={1: "Drained", 3: "Returned"},
    )  # fmt: skip
    assert saved.version == 2
    saved.refresh_from_db()
    assert (saved.title, saved.notes) == ("New title", "Some notes")
    assert saved.variables["server"] == "web-043"
    assert saved.variables["admin_password"] == SECRET_MASK  # empty secret keeps the stored one
    notes = dict(saved.steps.values_list("number", "notes"))
    assert notes == {1: "Drained", 2: "", 3: "Returned"}
    event = saved.events.get(action=Action.UPDATED)
    assert event.data["fields"] == ["title", "notes", "variables"]
    assert event.data["steps"] == [1, 3]


def test_save_draft_without_changes_writes_nothing(record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, title=record.title)
    record.refresh_from_db()
    assert record.version == 1
    assert actions(record) == [Action.CREATED]


def test_save_draft_from_a_stale_version_is_refused_and_changes_nothing(record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="first")
    with pytest.raises(Conflict) as caught:
        services.execution_save_draft(record=record, user=alice, version=1, notes="second")
    assert caught.value.current_version == 2
    record.refresh_from_db()
    assert record.notes == "first"


def test_save_draft_is_all_or_nothing(record, alice):
    with pytest.raises(ValidationError):
        services.execution_save_draft(
            record=record, user=alice, version=1, notes="kept?", variables={"port": "x"}
        )
    record.refresh_from_db()
    assert record.notes == ""
    assert record.version == 1


def test_save_draft_refuses_an_empty_title_and_unknown_steps(record, alice):
    with pytest.raises(ValidationError) as caught:
        services.execution_save_draft(
            record=record, user=alice, version=1, title=" ", step_notes={9: "x"}
        )
    assert set(caught.value.message_dict) == {"title", "steps"}


def test_only_the_executor_can_save(record, bob, admin_user):
    for user in (bob, admin_user):
        with pytest.raises(PermissionDenied):
            services.execution_save_draft(record=record, user=user, version=1, notes="x")


def test_finished_record_takes_notes_but_not_variables(record, alice):
    services.execution_complete(record=record, user=alice)
    record.refresh_from_db()
    services.execution_save_draft(
        record=record, user=alice, version=record.version, notes="Afterthought",
        step_notes={2: "added later"},
    )  # fmt: skip
    record.refresh_from_db()
    assert record.notes == "Afterthought"
    with pytest.raises(Conflict):
        services.execution_save_draft(
            record=record, user=alice, version=record.version, variables={"server": "other"}
        )


# ---- steps ---------------------------------------------------------------------------------


def test_step_done_records_who_and_when_and_undo_clears_them(record, alice):
    step = services.execution_step_set_done(record=record, user=alice, number=2, done=True)
    assert step.executed_by == alice
    assert step.executed_at is not None
    step = services.execution_step_set_done(record=record, user=alice, number=2, done=False)
    assert step.executed_at is None
    assert step.executed_by is None
    assert actions(record) == [Action.CREATED, Action.STEP_DONE, Action.STEP_UNDONE]


def test_marking_a_done_step_done_again_changes_nothing(record, alice):
    first = services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    again = services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    assert again.executed_at == first.executed_at
    assert actions(record).count(Action.STEP_DONE) == 1


def test_step_done_refusals(record, alice, bob):
    with pytest.raises(ValidationError):
        services.execution_step_set_done(record=record, user=alice, number=99, done=True)
    with pytest.raises(PermissionDenied):
        services.execution_step_set_done(record=record, user=bob, number=1, done=True)
    services.execution_fail(record=record, user=alice, reason="broke")
    with pytest.raises(Conflict):
        services.execution_step_set_done(record=record, user=alice, number=1, done=True)


def test_add_step_numbers_after_the_last(record, alice):
    step = services.execution_step_add(record=record, user=alice, description="  Check  logs ")
    assert (step.number, step.description, step.is_extra) == (4, "Check logs", True)
    with pytest.raises(ValidationError):
        services.execution_step_add(record=record, user=alice, description="   ")
    services.execution_complete(record=record, user=alice)
    with pytest.raises(Conflict):
        services.execution_step_add(record=record, user=alice, description="late")


# ---- lifecycle -----------------------------------------------------------------------------


def test_complete_sets_status_and_end_time(record, alice):
    done = services.execution_complete(record=record, user=alice)
    assert done.status == ExecutionRecord.Status.COMPLETED
    assert done.completed_at is not None
    with pytest.raises(Conflict):
        services.execution_complete(record=record, user=alice)


def test_fail_needs_a_reason_which_goes_into_the_notes(record, alice):
    with pytest.raises(ValidationError) as caught:
        services.execution_fail(record=record, user=alice, reason="  ")
    assert "reason" in caught.value.message_dict
    failed = services.execution_fail(record=record, user=alice, reason="Lag too high")
    assert failed.status == ExecutionRecord.Status.FAILED
    assert "Failure reason: Lag too high" in failed.notes
    assert failed.events.get(action=Action.STATUS_CHANGED).data == {
        "from": "in_progress",
        "to": "failed",
        "reason": "Lag too high",
    }


def test_reopen_clears_the_end_and_only_the_executor_may(record, alice, bob):
    with pytest.raises(Conflict):
        services.execution_reopen(record=record, user=alice)
    services.execution_complete(record=record, user=alice)
    with pytest.raises(PermissionDenied):
        services.execution_reopen(record=record, user=bob)
    reopened = services.execution_reopen(record=record, user=alice)
    assert reopened.status == ExecutionRecord.Status.IN_PROGRESS
    assert reopened.completed_at is None


# ---- audit ---------------------------------------------------------------------------------


def test_every_change_writes_one_event_in_an_intact_chain(record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="n")
    services.execution_step_set_done(record=record, user=alice, number=1, done=True)
    services.execution_step_add(record=record, user=alice, description="extra")
    services.execution_complete(record=record, user=alice)
    events = list(record.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert verify_records(record_id=record.pk).breaks == []


def test_events_cannot_be_changed_or_deleted(record):
    event = record.events.get()
    event.action = "deleted"
    with pytest.raises(ImmutableEventError):
        event.save()
    with pytest.raises(ImmutableEventError):
        event.delete()
    with pytest.raises(ImmutableEventError):
        ExecutionEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(ImmutableEventError):
        ExecutionEvent.objects.all().delete()


def test_a_finished_run_s_notes_can_be_added_to_but_not_rewritten(record, alice):
    services.execution_save_draft(
        record=record, user=alice, version=record.version, notes="Drained in 38 s.",
        step_notes={1: "0 connections left."},
    )  # fmt: skip
    services.execution_complete(record=record, user=alice)
    record.refresh_from_db()
    # Added to, with the line endings a browser sends: accepted.
    services.execution_save_draft(
        record=record, user=alice, version=record.version,
        notes="Drained in 38 s.\r\nChecked again the next morning.",
        step_notes={1: "0 connections left.\r\nGraph attached."},
    )  # fmt: skip
    record.refresh_from_db()
    for notes, step_notes, field in [
        ("Drained in 12 s.", None, "notes"),
        ("", None, "notes"),
        (None, {1: "Nothing to see."}, "steps"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.execution_save_draft(
                record=record, user=alice, version=record.version, notes=notes,
                step_notes=step_notes,
            )  # fmt: skip
        assert "reopen it" in str(refused.value.message_dict[field]).lower()
    with pytest.raises(ValidationError) as refused:
        services.execution_save_draft(
            record=record, user=alice, version=record.version, title="Something else"
        )
    assert "reopen it to change its title" in refused.value.message_dict["title"][0]
    record.refresh_from_db()
    assert record.notes == "Drained in 38 s.\r\nChecked again the next morning."
    assert record.steps.get(number=1).notes == "0 connections left.\r\nGraph attached."
    # Reopened, everything can change again.
    services.execution_reopen(record=record, user=alice)
    record.refresh_from_db()
    services.execution_save_draft(
        record=record, user=alice, version=record.version, notes="Rewritten.", title="New"
    )
