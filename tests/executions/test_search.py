"""The search behind the Executions page and the API list (SPEC section 7), on any database."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions import search
from executions.models import ExecutionRecord
from executions.serializers import RecordListSerializer
from sharing.models import Share
from sharing.policy import VisibleParts, visible_to
from tests.executions.search_world import api_search, build_world, found, ids, place


@pytest.fixture
def world(alice, bob, sre, procedure):
    return build_world(alice, bob, sre, procedure)


# ---- who sees what ---------------------------------------------------------------------------


def test_default_is_everything_alice_may_see_newest_first(world):
    assert found(world.alice) == ids(
        world.bob_tls, world.failover_rec, world.tls_web7, world.tls_web42
    )


def test_each_user_finds_exactly_what_they_may_see(world, charlie, admin_user):
    assert found(world.bob) == ids(world.dora_shared, world.bob_tls)
    assert found(world.dora) == ids(world.dora_shared, world.dora_private)
    assert found(charlie) == []
    assert len(found(admin_user)) == 6


def test_visible_parts_are_disjoint_and_add_up_to_visible_to(world, charlie, admin_user):
    for user in (world.alice, world.bob, world.dora, charlie, admin_user):
        parts = [set(p.values_list("pk", flat=True)) for p in VisibleParts(user).everything()]
        assert sum(len(p) for p in parts) == len(set().union(*parts))
        assert set().union(*parts) == set(visible_to(user).values_list("pk", flat=True))


def test_scope_mine_and_shared_with_me(world, admin_user):
    assert found(world.alice, "?scope=mine") == ids(
        world.failover_rec, world.tls_web7, world.tls_web42
    )
    assert found(world.alice, "?scope=shared") == ids(world.bob_tls)
    assert found(world.bob, "?scope=shared") == ids(world.dora_shared)
    assert found(admin_user, "?scope=mine") == []
    assert found(admin_user, "?scope=shared") == []
    assert found(world.alice, "?scope=all") == found(world.alice)


def test_shared_with_me_counts_an_administrators_groups_too(world, admin_user, sre):
    # An administrator sees everything under "All"; "Shared with me" is still what their
    # groups' shares and their own bring them, as for anyone.
    sre.user_set.add(admin_user)
    Share.objects.create(record=world.tls_web7, user=admin_user)
    assert found(admin_user, "?scope=shared") == ids(world.dora_shared, world.tls_web7)


def test_my_own_record_shared_with_my_group_is_mine_not_shared_with_me(world, sre):
    Share.objects.create(record=world.bob_tls, group=sre)  # bob is in sre
    assert found(world.bob, "?scope=shared") == ids(world.dora_shared)
    assert found(world.bob, "?scope=mine") == ids(world.bob_tls)
    assert found(world.bob) == ids(world.dora_shared, world.bob_tls)  # listed once


def test_deleted_records_never_appear(world, admin_user):
    ExecutionRecord.objects.filter(pk=world.tls_web42.pk).update(
        deleted_at=timezone.now(), deleted_by=world.alice
    )
    for user in (world.alice, admin_user):
        for query in ("", "?q=web-042", "?var=server=web-042", "?scope=mine", "?status=completed"):
            assert str(world.tls_web42.pk) not in found(user, query), (user, query)


# ---- each filter -----------------------------------------------------------------------------


def test_procedure_by_id_and_by_title(world):
    assert found(world.alice, f"?procedure={world.failover.pk}") == ids(world.failover_rec)
    assert found(world.alice, "?procedure_title=DATABASE") == ids(world.failover_rec)
    assert found(world.alice, "?procedure_title=tls") == ids(
        world.bob_tls, world.tls_web7, world.tls_web42
    )
    assert found(world.alice, "?procedure=999999") == []
    assert found(world.alice, "?procedure_title=nothing-like-it") == []


def test_executor_by_username_id_or_part_of_the_name(world):
    assert found(world.alice, "?executor=bob") == ids(world.bob_tls)
    assert found(world.alice, f"?executor={world.bob.pk}") == ids(world.bob_tls)
    assert found(world.alice, "?executor=nobody") == []
    assert found(world.alice, "?executor_name=BO") == ids(world.bob_tls)
    assert found(world.alice, "?executor_name=lic") == ids(
        world.failover_rec, world.tls_web7, world.tls_web42
    )
    # dora's records stay invisible to alice, whatever she asks for.
    assert found(world.alice, "?executor=dora") == []


def test_status_is_repeatable_and_or_ed(world):
    assert found(world.alice, "?status=failed") == ids(world.tls_web7)
    assert found(world.alice, "?status=completed&status=failed") == ids(
        world.tls_web7, world.tls_web42
    )
    assert found(world.alice, "?status=in_progress") == ids(world.bob_tls, world.failover_rec)


def test_dates_are_whole_days_inclusive(world):
    assert found(world.alice, "?started_after=2025-03-11&started_before=2025-03-12") == ids(
        world.failover_rec, world.tls_web7
    )
    assert found(world.alice, "?started_before=2025-03-10") == ids(world.tls_web42)
    assert found(world.alice, "?started_after=2025-03-13") == ids(world.bob_tls)


def test_dates_are_read_in_time_zone(world, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # tls_web7 started 23:30 UTC: 00:30 on the 12th here
    assert found(world.alice, "?started_before=2025-03-11") == ids(world.tls_web42)
    assert found(world.alice, "?started_after=2025-03-12&started_before=2025-03-12") == ids(
        world.failover_rec, world.tls_web7
    )


def test_iso_datetimes_are_accepted_and_inclusive(world, settings):
    assert found(world.alice, "?started_after=2025-03-12T08:00:00Z") == ids(
        world.bob_tls, world.failover_rec
    )
    assert found(world.alice, "?started_before=2025-03-12T08:00:00%2B00:00") == ids(
        world.failover_rec, world.tls_web7, world.tls_web42
    )
    settings.TIME_ZONE = "Europe/Berlin"  # a time without offset is read in TIME_ZONE
    assert found(world.alice, "?started_after=2025-03-12T09:00") == ids(
        world.bob_tls, world.failover_rec
    )


def test_variables_match_exactly_and_all_must_match(world):
    assert found(world.alice, "?var=server=web-042") == ids(world.bob_tls, world.tls_web42)
    assert found(world.alice, "?var=server=web-042&var=environment=production") == ids(
        world.tls_web42
    )
    assert found(world.alice, "?var=server=web-04") == []  # exact, not a substring
    assert found(world.alice, "?var=cluster=pg-main") == ids(world.failover_rec)
    assert found(world.alice, "?var=+server+=+web-042+") == ids(world.bob_tls, world.tls_web42)


def test_a_variable_value_is_split_at_the_first_equals_sign(world, version, alice):
    from executions import services

    odd = services.execution_start(version=version, user=alice, values={"server": "a=b"})
    assert found(alice, "?var=server=a%3Db") == ids(odd)


def test_secret_variables_never_match(world):
    for query in (
        "?var=admin_password=hunter2",
        "?var=admin_password=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2",  # the mask
        "?var=admin_password=",  # tls_web7 was started with an empty secret
        "?var=db_password=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2",
        "?q=hunter2",
        "?q=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2",
    ):
        assert found(world.alice, query) == [], query


# ---- keywords: the same answers from PostgreSQL's full-text search and SQLite's fallback ----


def test_keywords_search_titles_variables_notes_and_step_notes(world):
    assert found(world.alice, "?q=web-042") == ids(world.bob_tls, world.tls_web42)  # value, title
    assert found(world.alice, "?q=serial") == ids(world.tls_web42)  # a step's notes
    assert found(world.alice, "?q=timeout") == ids(world.tls_web7)  # the record's notes
    assert found(world.alice, "?q=database") == ids(world.failover_rec)  # the procedure title
    assert found(world.alice, "?q=pg-main") == ids(world.failover_rec)  # a variable value
    assert found(world.alice, "?q=CHG-20418") == ids(world.tls_web42)
    assert found(world.alice, "?q=nothing-like-this") == []


def test_every_keyword_must_be_found(world):
    assert found(world.alice, "?q=web-042+drained") == ids(world.tls_web42)
    assert found(world.alice, "?q=web-042+timeout") == []


# ---- combinations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=web-042&status=completed", ["tls_web42"]),
        ("?q=web-042&scope=mine", ["tls_web42"]),
        ("?q=web-042&scope=shared", ["bob_tls"]),
        ("?var=server=web-042&executor=bob&procedure_title=tls", ["bob_tls"]),
        ("?status=in_progress&procedure_title=database", ["failover_rec"]),
        ("?started_after=2025-03-11&status=failed&status=in_progress", ["bob_tls", "failover_rec",
                                                                        "tls_web7"]),
        ("?executor=alice&var=server=web-007&started_before=2025-03-11", ["tls_web7"]),
        ("?executor=alice&var=server=web-007&started_before=2025-03-10", []),
        ("?q=web&executor_name=ali&ordering=title", ["tls_web7", "tls_web42"]),
    ],
)  # fmt: skip
def test_filters_combine(world, query, expected):
    assert found(world.alice, query) == [str(getattr(world, name).pk) for name in expected]


# ---- ordering and pages ----------------------------------------------------------------------


def test_orderings(world):
    alice = world.alice
    by_title = sorted(
        [world.bob_tls, world.failover_rec, world.tls_web7, world.tls_web42],
        key=lambda r: (r.title, r.started_at),
    )
    assert found(alice, "?ordering=title") == ids(*by_title)
    assert found(alice, "?ordering=-title") == ids(*reversed(by_title))
    assert found(alice, "?ordering=started_at") == ids(
        world.tls_web42, world.tls_web7, world.failover_rec, world.bob_tls
    )
    # completed < failed < in_progress; within a status by start, in the same direction
    assert found(alice, "?ordering=status") == ids(
        world.tls_web42, world.tls_web7, world.failover_rec, world.bob_tls
    )
    assert found(alice, "?ordering=-status") == ids(
        world.bob_tls, world.failover_rec, world.tls_web7, world.tls_web42
    )


def test_runs_in_progress_count_as_the_latest_completion(world):
    place(world.tls_web42, "2025-03-10 09:12", completed_at=world.tls_web7.completed_at)
    place(world.tls_web7, "2025-03-11 23:30", completed_at=world.tls_web7.completed_at.replace(
        year=2024))  # fmt: skip
    assert found(world.alice, "?ordering=completed_at") == ids(
        world.tls_web7, world.tls_web42, world.failover_rec, world.bob_tls
    )
    assert found(world.alice, "?ordering=-completed_at") == ids(
        world.bob_tls, world.failover_rec, world.tls_web42, world.tls_web7
    )


def make_many(make_record, alice, bob, count):
    records = []
    for number in range(count):
        record = make_record(server=f"web-{number:03d}")
        place(record, f"2025-01-01 00:{number:02d}")
        records.append(record)
        Share.objects.create(record=make_record(user=bob), user=alice)
    return records


def test_pages_are_disjoint_ordered_and_linked(alice, bob, make_record):
    make_many(make_record, alice, bob, 20)  # 40 visible to alice
    first = api_search(alice).json()
    second = api_search(alice, "?page=2").json()
    assert (first["count"], first["count_capped"]) == (40, False)
    assert len(first["results"]) == 25 and len(second["results"]) == 15
    assert first["next"].endswith("?page=2") and first["previous"] is None
    assert second["next"] is None and second["previous"] is not None
    seen = [r["id"] for r in first["results"] + second["results"]]
    expected = list(visible_to(alice).order_by("-started_at", "-id").values_list("pk", flat=True))
    assert seen == [str(pk) for pk in expected]


def test_query_count_does_not_depend_on_page_size(alice, bob, sre, make_record):
    for number in range(30):  # a page of 25, then a page of 5, every row alike
        record = make_record(server=f"web-{number:03d}")
        Share.objects.create(record=record, user=bob)
        Share.objects.create(record=record, group=sre)

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as context:
            response = api_search(type(alice).objects.get(pk=alice.pk), query)
            assert response.status_code == 200
        return len(context.captured_queries)

    assert queries("?page=1") == queries("?page=2")
    assert queries("?page=1&q=web&var=environment=staging") == queries(
        "?page=2&q=web&var=environment=staging"
    )
    assert queries("?page=1&executor=alice") == queries("?page=2&executor=alice")


def test_count_is_exact_up_to_the_cap_then_capped(world, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 4)
    body = api_search(world.alice).json()
    assert (body["count"], body["count_capped"]) == (4, False)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    body = api_search(world.alice).json()
    assert (body["count"], body["count_capped"]) == (3, True)
    assert len(body["results"]) == 3  # pages stop at the cap too
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    body = api_search(world.alice, "?scope=mine").json()
    assert (body["count"], body["count_capped"]) == (1, True)


def test_list_rows_are_what_the_documented_serializer_says(world, sre, settings):
    # The API's page is built from the page query's columns (executions.serializers.list_rows);
    # RecordListSerializer is the schema. Same output, field for field, in any time zone.
    settings.TIME_ZONE = "Europe/Paris"
    Share.objects.create(record=world.bob_tls, group=sre)
    Share.objects.create(record=world.bob_tls, user=world.dora)
    response = api_search(world.alice)
    assert response.status_code == 200
    request = response.wsgi_request
    records = ExecutionRecord.objects.filter(pk__in=[r["id"] for r in response.json()["results"]])
    by_id = {str(r.pk): r for r in records}
    documented = [
        RecordListSerializer(by_id[row["id"]], context={"request": request}).data
        for row in response.json()["results"]
    ]
    assert response.json()["results"] == json.loads(json.dumps(documented))
    shared = next(row for row in response.json()["results"] if row["id"] == str(world.bob_tls.pk))
    assert shared["shared_with"] == {"users": ["alice", "dora"], "groups": ["sre"]}
    assert shared["url"] == f"http://testserver/executions/{world.bob_tls.pk}/"
    assert shared["started_at"] == "2025-03-13T11:00:00+01:00"  # placed at 10:00 UTC


# ---- bad parameters: a 400 naming the parameter, never a 500, never everything ----------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?started_after=2025-13-01", "started_after"),
        ("?started_before=yesterday", "started_before"),
        ("?started_after=2025-03-12&started_before=2025-03-11", "started_before"),
        ("?status=done", "status"),
        ("?status=failed&status=nope", "status"),
        ("?var=server", "var"),
        ("?var==web-042", "var"),
        ("?ordering=size", "ordering"),
        ("?ordering=-id", "ordering"),
        ("?scope=everyone", "scope"),
        ("?procedure=abc", "procedure"),
        ("?procedure=0", "procedure"),
        ("?q=" + "x" * 201, "q"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world, query, parameter):
    response = api_search(world.alice, query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [parameter]
    assert all(isinstance(m, str) and m for m in body[parameter])


def test_an_anonymous_search_is_401(client):
    assert client.get("/api/v1/executions/?q=web").status_code == 401
