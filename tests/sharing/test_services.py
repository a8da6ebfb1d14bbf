from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from executions import services as executions
from executions.audit import verify_records
from executions.models import ExecutionRecord
from executions.timeline import describe
from sharing.services import share_make_private, share_set


def events(record: ExecutionRecord) -> list[tuple[str, dict]]:
    return [(e.action, e.data) for e in record.events.order_by("seq") if "shared" in e.action]


def shared_names(record: ExecutionRecord) -> tuple[list[str], list[str]]:
    shares = record.shares.select_related("user", "group")
    return (sorted(s.user.username for s in shares if s.user_id),
            sorted(s.group.name for s in shares if s.group_id))  # fmt: skip


def test_sharing_with_users_and_groups_writes_one_shared_event(record, alice, bob, sre):
    sharing = share_set(record=record, user=alice, access_scope="shared", usernames=["bob"],
                        group_names=["sre"])  # fmt: skip
    record.refresh_from_db()
    assert record.access_scope == "shared"
    assert (sharing.users, sharing.groups) == (("bob",), ("sre",))
    assert shared_names(record) == (["bob"], ["sre"])
    assert events(record) == [("shared", {"users": ["bob"], "groups": ["sre"]})]
    assert record.shares.get(user=bob).created_by == alice


def test_replacing_the_shares_records_who_was_added_and_who_was_removed(
    record, alice, bob, charlie, sre
):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"],
              group_names=["sre"])  # fmt: skip
    kept = record.shares.get(group=sre)
    share_set(record=record, user=alice, access_scope="shared", usernames=["charlie"],
              group_names=["sre"])  # fmt: skip
    assert shared_names(record) == (["charlie"], ["sre"])
    assert record.shares.get(group=sre).pk == kept.pk  # untouched, with its original date
    assert events(record)[1:] == [
        ("unshared", {"users": ["bob"], "groups": []}),
        ("shared", {"users": ["charlie"], "groups": []}),
    ]


def test_saving_the_same_shares_again_changes_nothing(record, alice, bob):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    share_set(record=record, user=alice, access_scope="shared", usernames=[" bob ", "bob", ""])
    assert len(events(record)) == 1
    assert shared_names(record) == (["bob"], [])


def test_making_it_private_revokes_every_share_in_one_event(record, alice, bob, sre):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"],
              group_names=["sre"])  # fmt: skip
    sharing = share_make_private(record=record, user=alice)
    record.refresh_from_db()
    assert (record.access_scope, sharing.is_shared) == ("private", False)
    assert shared_names(record) == ([], [])
    assert events(record)[-1] == ("unshared", {"users": ["bob"], "groups": ["sre"]})
    share_make_private(record=record, user=alice)  # already private: nothing to record
    assert len(events(record)) == 2


def test_private_ignores_any_names_sent_along(record, alice, bob):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    share_set(record=record, user=alice, access_scope="private", usernames=["bob"])
    assert shared_names(record) == ([], [])


def test_shared_with_no_one_is_refused_with_a_clear_message(record, alice):
    with pytest.raises(ValidationError) as refused:
        share_set(record=record, user=alice, access_scope="shared", usernames=[" "])
    assert refused.value.message_dict == {
        "access_scope": [
            "Choose at least one person or group to share with, or choose Private to stop sharing."
        ]
    }
    with pytest.raises(ValidationError, match="Choose private or shared"):
        share_set(record=record, user=alice, access_scope="public", usernames=["bob"])


def test_unknown_names_are_refused_by_name_and_nothing_changes(record, alice, bob, sre):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    with pytest.raises(ValidationError) as refused:
        share_set(record=record, user=alice, access_scope="shared",
                  usernames=["bob", "zed", "yan"], group_names=["sre", "nope"])  # fmt: skip
    assert refused.value.message_dict == {
        "users": ["No such user: zed, yan."],
        "groups": ["No such group: nope."],
    }
    assert shared_names(record) == (["bob"], [])
    assert len(events(record)) == 1


def test_usernames_are_matched_exactly(record, alice, bob):
    with pytest.raises(ValidationError, match="No such user: Bob"):
        share_set(record=record, user=alice, access_scope="shared", usernames=["Bob"])


def test_the_executor_is_not_shared_with_themself(record, alice):
    with pytest.raises(ValidationError, match="alice ran this record and always sees it"):
        share_set(record=record, user=alice, access_scope="shared", usernames=["alice"])


def test_deactivated_accounts_get_no_new_access_but_may_stay_listed(shared_record, alice, ivan):
    # ivan was shared with, then deactivated: saving the dialog as it stands still works.
    share_set(record=shared_record, user=alice, access_scope="shared",
              usernames=["bob", "ivan"], group_names=["auditors"])  # fmt: skip
    share_set(record=shared_record, user=alice, access_scope="shared", usernames=["bob"])
    with pytest.raises(ValidationError, match="Deactivated accounts cannot be given access: ivan"):
        share_set(record=shared_record, user=alice, access_scope="shared", usernames=["ivan"])


def test_too_many_names_at_once_are_refused(record, alice):
    with pytest.raises(ValidationError, match="at most 100 people"):
        share_set(record=record, user=alice, access_scope="shared",
                  usernames=[f"user{n}" for n in range(101)])  # fmt: skip


def test_only_the_executor_changes_sharing(shared_record, bob, gina, charlie, admin_user):
    for viewer in (bob, gina, admin_user):
        with pytest.raises(PermissionDenied):
            share_set(record=shared_record, user=viewer, access_scope="private")
    with pytest.raises(Http404):
        share_make_private(record=shared_record, user=charlie)
    shared_record.refresh_from_db()
    assert shared_record.access_scope == "shared"


def test_a_deleted_record_cannot_be_shared(record, alice):
    ExecutionRecord.objects.filter(pk=record.pk).update(deleted_at=timezone.now())
    with pytest.raises(Http404):
        share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])


def test_sharing_leaves_the_draft_version_alone_and_works_on_finished_runs(record, alice, bob):
    executions.execution_complete(record=record, user=alice)
    record.refresh_from_db()
    version = record.version
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    record.refresh_from_db()
    assert record.version == version  # an open Save Draft is not made stale by sharing
    assert record.access_scope == "shared"


def test_sharing_events_extend_the_audit_chain_and_read_well(record, alice, bob, sre):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"],
              group_names=["sre"])  # fmt: skip
    share_make_private(record=record, user=alice)
    chain = list(record.events.order_by("seq"))
    assert verify_records(record_id=record.pk).breaks == []
    shared, unshared = (describe(e) for e in chain[-2:])
    assert str(shared.sentence) == "<strong>alice</strong> shared the record with bob, group sre"
    assert str(unshared.sentence) == "<strong>alice</strong> stopped sharing with bob, group sre"


def test_deleting_a_group_takes_its_shares_along_and_says_so(record, alice, sre, make_record):
    share_set(record=record, user=alice, access_scope="shared", group_names=["sre"])
    other = make_record()
    share_set(record=other, user=alice, access_scope="shared", usernames=["bob"],
              group_names=["sre"])  # fmt: skip
    Group.objects.filter(name="sre").delete()
    record.refresh_from_db()
    other.refresh_from_db()
    assert (record.access_scope, other.access_scope) == ("private", "shared")
    last = record.events.order_by("-seq").first()
    assert (last.action, last.actor_name) == ("unshared", "system")
    assert last.data == {"users": [], "groups": ["sre"], "reason": "the group was deleted"}
    assert describe(last).detail == "the group was deleted"
    assert verify_records(record_id=record.pk).breaks == []


def test_deleting_an_account_takes_its_share_along(record, alice, bob):
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    bob.delete()
    record.refresh_from_db()
    assert record.access_scope == "private"
    assert record.events.order_by("-seq").first().data["users"] == ["bob"]
