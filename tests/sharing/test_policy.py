from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions.models import ExecutionRecord, ExecutionStep
from sharing import policy
from sharing.models import Share
from sharing.policy import (
    can_edit,
    get_editable_record,
    get_visible_record,
    is_administrator,
    shared_with,
    standing,
    visible_to,
)
from sharing.services import share_make_private, share_set


def seen_by(user) -> set:
    return set(visible_to(user).values_list("pk", flat=True))


def test_a_private_record_is_seen_by_its_executor_and_administrators_only(
    record, alice, bob, charlie, admin_user, vera
):
    assert seen_by(alice) == seen_by(admin_user) == seen_by(vera) == {record.pk}
    assert seen_by(bob) == seen_by(charlie) == set()


def test_sharing_reaches_the_user_and_every_member_of_the_group(shared_record, bob, gina, charlie):
    assert seen_by(bob) == seen_by(gina) == {shared_record.pk}
    assert seen_by(charlie) == set()


def test_the_view_all_permission_through_a_group_makes_an_administrator(record, charlie):
    readers = Group.objects.create(name="readers")
    readers.permissions.add(Permission.objects.get(codename="view_all_executionrecord"))
    readers.user_set.add(charlie)
    charlie = type(charlie).objects.get(pk=charlie.pk)  # permissions are cached per instance
    assert is_administrator(charlie)
    assert seen_by(charlie) == {record.pk}
    assert not can_edit(charlie, record)


def test_staff_without_the_permission_is_not_an_administrator(record, make_user):
    staff = make_user("sam", is_staff=True)
    assert not is_administrator(staff)
    assert seen_by(staff) == set()


def test_inactive_users_see_nothing_not_even_their_own_records(
    shared_record, alice, ivan, admin_user
):
    assert seen_by(ivan) == set()  # shared with directly and through auditors
    for user in (alice, admin_user):
        user.is_active = False
        assert not is_administrator(user)
        assert seen_by(user) == set()
        assert not can_edit(user, shared_record)
        with pytest.raises(Http404):
            get_visible_record(user, shared_record.pk)


def test_anonymous_sees_nothing(shared_record):
    anonymous = AnonymousUser()
    assert seen_by(anonymous) == set()
    assert not can_edit(anonymous, shared_record)
    assert not is_administrator(anonymous)
    with pytest.raises(Http404):
        get_visible_record(anonymous, shared_record.pk)
    assert not ExecutionRecord.objects.filter(shared_with(anonymous)).exists()


def test_deleted_records_are_seen_by_no_one_not_even_administrators(
    shared_record, alice, bob, admin_user
):
    ExecutionRecord.objects.filter(pk=shared_record.pk).update(
        deleted_at=timezone.now(), deleted_by=alice
    )
    shared_record.refresh_from_db()
    for user in (alice, bob, admin_user):
        assert seen_by(user) == set()
        with pytest.raises(Http404):
            get_visible_record(user, shared_record.pk)
    assert not can_edit(alice, shared_record)


def test_a_record_reached_several_ways_is_listed_once_without_distinct(record, alice, bob, sre):
    on_call = Group.objects.create(name="on-call")
    on_call.user_set.add(bob)
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"],
              group_names=["sre", "on-call"])  # fmt: skip
    records = visible_to(bob)
    sql = str(records.query).upper()
    assert "EXISTS" in sql
    assert "DISTINCT" not in sql
    assert 'AUTH_GROUP"' not in sql  # straight from the membership table
    assert list(records.values_list("pk", flat=True)) == [record.pk]
    assert records.count() == 1


def test_visible_to_narrows_the_queryset_it_is_given(make_record, alice, bob):
    mine = make_record()
    shared = make_record()
    share_set(record=shared, user=alice, access_scope="shared", usernames=["bob"])
    completed = ExecutionRecord.objects.filter(pk=mine.pk)
    assert list(visible_to(bob, completed)) == []
    assert list(visible_to(alice, completed)) == [mine]


def test_shared_with_filters_other_models_by_their_record(shared_record, record, bob, charlie):
    steps = ExecutionStep.objects.filter(shared_with(bob, "record"))
    assert set(steps.values_list("record_id", flat=True)) == {shared_record.pk}
    assert not ExecutionStep.objects.filter(shared_with(charlie, "record")).exists()


def test_only_the_executor_may_edit(shared_record, alice, bob, gina, admin_user, vera):
    assert can_edit(alice, shared_record)
    for viewer in (bob, gina, admin_user, vera):
        assert not can_edit(viewer, shared_record)
        with pytest.raises(PermissionDenied):
            get_editable_record(viewer, shared_record.pk)
    assert get_editable_record(alice, shared_record.pk) == shared_record


def test_strangers_get_404_whether_or_not_the_record_exists(record, charlie):
    for pk in (record.pk, "00000000-0000-0000-0000-000000000000", "not-a-uuid", 42, None):
        with pytest.raises(Http404):
            get_visible_record(charlie, pk)
        with pytest.raises(Http404):
            get_editable_record(charlie, pk)


def test_access_ends_at_once_when_unshared(shared_record, alice, bob, gina):
    share_set(record=shared_record, user=alice, access_scope="shared", group_names=["auditors"])
    assert seen_by(bob) == set()
    assert seen_by(gina) == {shared_record.pk}
    share_make_private(record=shared_record, user=alice)
    assert seen_by(gina) == set()
    with pytest.raises(Http404):
        get_visible_record(gina, shared_record.pk)


def test_access_ends_at_once_when_a_user_leaves_the_group(shared_record, gina, auditors):
    assert seen_by(gina) == {shared_record.pk}
    auditors.user_set.remove(gina)
    assert seen_by(gina) == set()
    with pytest.raises(Http404):
        get_visible_record(gina, shared_record.pk)


def test_one_query_finds_an_own_or_shared_record(shared_record, alice, gina):
    for user in (alice, gina):
        user = type(user).objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            get_visible_record(user, shared_record.pk)
        assert len(queries) == 1


def test_shares_point_at_exactly_one_user_or_group(record, bob, sre):
    from django.db import IntegrityError, transaction

    for bad in ({}, {"user": bob, "group": sre}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Share.objects.create(record=record, **bad)
    Share.objects.create(record=record, user=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.create(record=record, user=bob)


def test_standing_says_what_is_administrator_says_in_one_query(
    shared_record, alice, bob, charlie, admin_user, vera, gina, ivan, auditors, make_user
):
    readers = Group.objects.create(name="readers")
    readers.permissions.add(Permission.objects.get(codename="view_all_executionrecord"))
    readers.user_set.add(charlie)
    auditors.permissions.add(
        Permission.objects.get(codename="view_executionrecord")
    )  # not view-all
    staff = make_user("sam", is_staff=True)
    retired = make_user("rita", is_active=False)
    readers.user_set.add(retired)
    for user in (alice, bob, charlie, admin_user, vera, gina, ivan, staff, retired):
        fresh = type(user).objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            facts = standing(fresh)
        expected = is_administrator(type(user).objects.get(pk=user.pk))
        assert facts.administrator is expected, user.username
        if user.is_active and not user.is_superuser:
            assert set(facts.groups) == set(user.groups.values_list("pk", flat=True))
            if connection.vendor == "postgresql":
                assert len(queries) == 1, user.username
        else:
            assert len(queries) == 0, user.username
    assert not standing(AnonymousUser()).administrator


@pytest.mark.skipif(connection.vendor != "postgresql", reason="shares are counted on PostgreSQL")
def test_standing_counts_the_shares_that_reach_a_user_up_to_the_threshold(
    shared_record, bob, gina, make_record, monkeypatch
):
    # shared_record reaches bob directly and gina through auditors; one more reaches gina.
    Share.objects.create(record=make_record(), user=gina)
    monkeypatch.setattr(policy, "FEW_SHARES", 1)
    assert not standing(bob).many_shares
    assert standing(gina).many_shares
    monkeypatch.setattr(policy, "FEW_SHARES", 0)
    assert standing(bob).many_shares
