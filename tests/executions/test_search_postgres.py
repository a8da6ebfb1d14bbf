"""PostgreSQL's side of the search: full-text matching, the triggers that keep the search
vector and the readers in step with every change, and the GIN index that answers filters."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from executions import services
from executions.filters import ExecutionFilter
from executions.search import execution_search
from procedures.services import procedure_edit
from sharing.models import Share
from sharing.policy import VisibleParts, visible_to
from tests.conftest import TLS_BODY
from tests.executions.search_world import build_world, found, ids

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(alice, bob, sre, procedure):
    return build_world(alice, bob, sre, procedure)


def test_english_stems_phrases_or_and_exclusions(world):
    assert found(world.alice, "?q=certificates") == ids(
        world.bob_tls, world.tls_web7, world.tls_web42
    )  # the procedure title says "certificate"
    assert found(world.alice, "?q=drain") == ids(world.tls_web42)  # the notes say "Drained"
    assert found(world.alice, '?q="load balancer"') == ids(world.tls_web7)
    assert found(world.alice, '?q="balancer load"') == []
    assert found(world.alice, "?q=serial+or+timeout") == ids(world.tls_web7, world.tls_web42)
    assert found(world.alice, "?q=web-042+-drained") == ids(world.bob_tls)
    assert found(world.alice, "?q=042") == ids(world.bob_tls, world.tls_web42)  # web-042
    assert found(world.alice, "?q=20418") == ids(world.tls_web42)  # CHG-20418


def test_stop_words_alone_match_nothing(world):
    assert found(world.alice, "?q=the") == []
    assert found(world.alice, "?q=%22%22") == []


def search_words(record) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (unnest(search_vector)).lexeme FROM executions_executionrecord WHERE id = %s",
            [record.pk],
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_vector_follows_start_save_step_notes_failure_and_rename(alice, procedure, version):
    record = services.execution_start(
        version=version, user=alice, values={"server": "alpha-1", "admin_password": "hunter2"}
    )
    words = search_words(record)
    assert {"alpha", "1", "rotat", "tls"} <= words
    assert "hunter2" not in words and not any("•" in w for w in words)

    record = services.execution_save_draft(
        record=record, user=alice, version=1, title="Zebra rollout", notes="quokka",
        variables={"server": "omega-2"}, step_notes={1: "narwhal"},
    )  # fmt: skip
    words = search_words(record)
    assert {"zebra", "quokka", "omega", "narwhal"} <= words
    assert "alpha" not in words

    client = APIClient()
    client.force_authenticate(alice)
    response = client.patch(
        f"/api/v1/executions/{record.pk}/steps/2/", {"notes": "platypus"}, format="json"
    )
    assert response.status_code == 200
    assert "platypus" in search_words(record)

    services.execution_fail(record=record, user=alice, reason="axolotl escaped")
    assert "axolotl" in search_words(record)

    procedure_edit(procedure=procedure, title="Renew wombat keys", body=TLS_BODY, user=alice)
    words = search_words(record)
    assert "wombat" in words and "tls" not in words  # the new procedure title, not the old
    assert found(alice, "?q=wombat") == ids(record)
    assert found(alice, "?q=platypus+narwhal+quokka") == ids(record)


def test_readers_follow_shares_and_unshares(world, sre, charlie):
    def readers(record) -> list[str] | None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT readers FROM executions_executionrecord WHERE id = %s", [record.pk]
            )
            return cursor.fetchone()[0]

    record = world.tls_web7
    assert readers(record) is None
    share = Share.objects.create(record=record, user=charlie)
    Share.objects.create(record=record, group=sre)
    assert set(readers(record)) == {f"u{charlie.pk}", f"g{sre.pk}"}
    assert found(charlie) == ids(record)
    assert str(record.pk) in found(world.bob, "?scope=shared")  # bob is in sre
    share.delete()
    Share.objects.filter(record=record).update(group=None, user=world.dora)
    assert readers(record) == [f"u{world.dora.pk}"]
    assert found(charlie) == []
    Share.objects.filter(record=record).delete()
    assert readers(record) is None


def test_group_membership_changes_need_no_rewrite(world, sre, charlie):
    sre.user_set.add(charlie)
    assert found(charlie) == ids(world.dora_shared)
    sre.user_set.remove(charlie)
    assert found(charlie) == []


def test_visible_parts_equal_visible_to_on_postgres(world, charlie, admin_user):
    for user in (world.alice, world.bob, world.dora, charlie, admin_user):
        union = set().union(
            *(p.values_list("pk", flat=True) for p in VisibleParts(user).everything())
        )
        assert union == set(visible_to(user).values_list("pk", flat=True))


def plan(user, query: dict[str, str]) -> str:
    """The plan of the search's count with only the GIN index to choose (tables this small are
    otherwise read whole): shows that it can answer these filters. The test's transaction
    brings the other indexes back."""
    from django.http import QueryDict

    params = QueryDict(mutable=True)
    params.update(query)
    filterset = ExecutionFilter(params, queryset=None)
    assert filterset.is_valid(), filterset.errors
    results = execution_search(user=user, filterset=filterset)
    sql, params = results._count_sql()
    with connection.cursor() as cursor:
        for name in ("started", "executor", "procedure", "status", "completed", "title"):
            cursor.execute(f"DROP INDEX IF EXISTS exec_live_{name}_idx")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_gin_index_answers_keywords_variables_and_shares(world, admin_user, monkeypatch):
    from sharing import policy

    monkeypatch.setattr(policy, "FEW_SHARES", 0)  # shared with me through readers
    text = plan(admin_user, {"q": "web-042"})
    assert "exec_live_filters_gin" in text and "search_vector @@" in text
    text = plan(admin_user, {"var": "server=web-042"})
    assert "exec_live_filters_gin" in text and "variables @>" in text
    text = plan(world.bob, {"scope": "shared", "var": "cluster=pg-main"})
    assert "exec_live_filters_gin" in text and "readers &&" in text and "variables @>" in text


@pytest.mark.parametrize("few_shares", [0, 1000])
def test_both_shapes_of_shared_with_me_find_the_same(world, sre, monkeypatch, few_shares):
    from sharing import policy

    monkeypatch.setattr(policy, "FEW_SHARES", few_shares)  # 0: always through readers
    Share.objects.create(record=world.dora_private, user=world.bob)
    assert found(world.bob) == ids(world.dora_shared, world.dora_private, world.bob_tls)
    assert found(world.bob, "?scope=shared&var=region=us-east-1") == ids(
        world.dora_shared, world.dora_private
    )
    assert found(world.bob, "?scope=shared&q=pg-main") == ids(world.dora_shared)
    assert found(world.alice, "?scope=shared&status=in_progress") == ids(world.bob_tls)


# Each filter and a few combinations, with values that match some, none, or secrets.
WRITTEN_QUERIES = [
    "", "q=certificates", 'q="load balancer"', "q=serial+or+timeout", "q=web-042+-drained",
    "q=the", "procedure={tls}", "procedure=999999", "procedure_title=fail",
    "procedure_title=nothing-like-it", "executor=alice", "executor={bob_id}", "executor=nobody",
    "executor_name=o", "executor_name=zz", "status=failed", "status=failed&status=in_progress",
    "started_after=2025-03-12", "started_before=2025-03-12",
    "started_after=2025-03-11&started_before=2025-03-13",
    "started_after=2025-03-11T23:30:00%2B00:00", "started_before=2025-03-11T23:29:59.999999Z",
    "var=server=web-042",
    "var=region=us-east-1&var=cluster=pg-main", "var=admin_password=", "var=environment=",
    "var=db_password=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2", "var=nope=1",
    "q=pg-main&status=in_progress&executor_name=a", "procedure={tls}&var=server=web-042",
]  # fmt: skip


def record_ids(statements) -> list[str]:
    """The ids the parts select, sorted: a record in two parts would be counted twice."""
    found_ids: list[str] = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(f"SELECT id FROM ({sql}) AS part", params)  # noqa: S608
            found_ids += [str(row[0]) for row in cursor.fetchall()]
    return sorted(found_ids)


@pytest.mark.parametrize("few_shares", [0, 1000])
def test_the_written_statements_find_what_the_orm_finds(
    world, sre, charlie, admin_user, monkeypatch, few_shares
):
    """PostgreSQL's search runs statements written from VisibleParts.conditions and
    ExecutionFilter.conditions; they must select what the ORM's parts and filter methods
    select, for each user, scope and filter (the ORM path is what SQLite runs)."""
    from django.http import QueryDict

    from executions.search import SORT_COLUMNS, _compiled, _written
    from sharing import policy

    monkeypatch.setattr(policy, "FEW_SHARES", few_shares)  # 0: shared with me through readers
    Share.objects.create(record=world.dora_private, user=world.bob)
    Share.objects.create(record=world.bob_tls, group=sre)  # bob's own, shared with his group
    sre.user_set.add(admin_user)  # a superuser's groups count for "shared with me" too
    inactive = world.dora
    inactive.is_active = False
    users = [world.alice, world.bob, charlie, admin_user, inactive]
    values = {"tls": world.tls.pk, "bob_id": world.bob.pk}
    columns = SORT_COLUMNS["started_at"]
    checked = 0
    for user in users:
        parts = VisibleParts(user)
        for scope in ("all", "mine", "shared"):
            for query in WRITTEN_QUERIES:
                params = QueryDict(f"{query.format(**values)}&scope={scope}")
                filterset = ExecutionFilter(params, queryset=None)
                assert filterset.is_valid(), (query, filterset.errors)
                written = record_ids(_written(parts, filterset, columns))
                case = (user.username, scope, query)
                assert written == record_ids(_compiled(parts, filterset, columns)), case
                checked += bool(written)
    assert checked > 60  # most combinations find something: the comparison is not all-empty


@pytest.mark.parametrize("cap", [10_000, 2])
def test_a_keyword_or_variable_search_reads_its_first_page_with_the_count(
    world, admin_user, monkeypatch, cap
):
    """Keywords and variables are found unordered, so the count also returns the first page's
    ids when it is not capped; the page is then read by id. Same pages, in the same order, as
    the merged page query; a capped count returns none and the page query runs."""
    from django.http import QueryDict

    from executions import search
    from executions.search import SearchResults, _written

    monkeypatch.setattr(search, "COUNT_CAP", cap)
    for user in (world.alice, world.bob, admin_user):
        for query in ("q=web-042", "q=tls+or+cluster", "var=region=us-east-1", "q=nothing-at-all"):
            for ordering in ("-started_at", "title", "-completed_at", "status"):
                params = QueryDict(f"{query}&ordering={ordering}")
                filterset = ExecutionFilter(params, queryset=None)
                assert filterset.is_valid() and filterset.finds_unordered
                results = execution_search(user=user, filterset=filterset)
                assert results.first_page == search.PAGE_SIZE
                plain = SearchResults(
                    _written(
                        VisibleParts(user), filterset, search.SORT_COLUMNS[ordering.strip("-")]
                    ),
                    ordering,
                    results.db,
                )
                assert results.count() == plain.count()
                read_with_count = results._first_ids is not None
                assert read_with_count == (not plain.capped)
                for stop in (1, 2, 25):
                    assert [r["id"] for r in results[0:stop]] == [r["id"] for r in plain[0:stop]]
                assert [r["id"] for r in results[1:3]] == [r["id"] for r in plain[1:3]]
