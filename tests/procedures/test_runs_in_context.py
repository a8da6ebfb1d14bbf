"""Previous runs on the procedure page and in its version history, through the access policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from executions import selectors
from executions import services as execution_services
from executions.models import ExecutionRecord
from procedures.services import procedure_version_add
from sharing.models import Share
from tests.conftest import TLS_BODY, logged_in


def latest_runs_card(html: str) -> str:
    match = re.search(r'<section class="card" aria-labelledby="latest-runs-title".*?</section>',
                      html, re.S)  # fmt: skip
    assert match, "the page has no Latest runs card"
    return match.group(0)


def runs_fact(html: str) -> str:
    match = re.search(r"<dt>Runs</dt><dd>(.*?)</dd>", html, re.S)
    assert match, "the About card has no Runs line"
    return re.sub(r"<[^>]+>", "", match.group(1))


@pytest.fixture
def make_run(version, alice):
    def make(user=None, title=""):
        return execution_services.execution_start(
            version=version, user=user or alice, values={"server": "web-1"}, title=title
        )

    return make


@pytest.fixture
def runs(make_run, alice, bob, charlie):
    """alice: one completed, one failed, one in progress; bob shares one with alice;
    charlie keeps one private."""
    done = make_run(title="alice done")
    execution_services.execution_complete(record=done, user=alice)
    failed = make_run(title="alice failed")
    execution_services.execution_fail(record=failed, user=alice, reason="lag")
    make_run(title="alice running")
    shared = make_run(user=bob, title="bob shared")
    Share.objects.create(record=shared, user=alice)
    make_run(user=charlie, title="charlie private")
    return ExecutionRecord.objects.all()


# The procedure page


def test_latest_runs_lists_the_runs_the_user_may_see_newest_first(alice, procedure, runs):
    html = logged_in(alice).get(procedure.get_absolute_url()).content.decode()

    card = latest_runs_card(html)
    titles = re.findall(r'<a class="run-title" href="[^"]+">([^<]+)</a>', card)
    assert titles == ["bob shared", "alice running", "alice failed", "alice done"]
    assert "charlie private" not in html
    shared = runs.get(title="bob shared")
    assert f'href="{shared.get_absolute_url()}"' in card
    assert '<span class="badge badge-failed">' in card
    assert "</span>bob <span" in card


def test_view_all_links_to_the_executions_list_filtered_by_procedure(alice, procedure, runs):
    card = latest_runs_card(logged_in(alice).get(procedure.get_absolute_url()).content.decode())

    assert f'href="{reverse("executions:list")}?procedure={procedure.pk}">View all 4 ' in card


def test_about_card_counts_the_visible_runs_by_status(alice, procedure, runs):
    html = logged_in(alice).get(procedure.get_absolute_url()).content.decode()

    assert runs_fact(html) == "4 · 1 completed, 1 failed, 2 in progress"


def test_a_stranger_sees_only_their_own_run(charlie, procedure, runs):
    html = logged_in(charlie).get(procedure.get_absolute_url()).content.decode()

    card = latest_runs_card(html)
    assert re.findall(r'class="run-title"[^>]*>([^<]+)<', card) == ["charlie private"]
    assert "alice" not in card
    assert runs_fact(html) == "1 · 0 completed, 0 failed, 1 in progress"


def test_an_administrator_sees_every_run(admin_user, procedure, runs):
    html = logged_in(admin_user).get(procedure.get_absolute_url()).content.decode()

    assert "charlie private" in latest_runs_card(html)
    assert runs_fact(html).startswith("5 ·")


def test_no_runs_reads_as_none_yet(charlie, procedure):
    html = logged_in(charlie).get(procedure.get_absolute_url()).content.decode()

    assert runs_fact(html) == "None yet"
    assert "No runs you can see yet." in latest_runs_card(html)
    assert "View all" not in html


def test_deleted_runs_are_not_counted_or_listed(alice, procedure, runs):
    runs.filter(title="alice done").update(deleted_at=runs.get(title="alice done").started_at)

    html = logged_in(alice).get(procedure.get_absolute_url()).content.decode()

    assert "alice done" not in html
    assert runs_fact(html).startswith("3 ·")


def test_only_the_five_latest_runs_are_listed(alice, procedure, make_run):
    for n in range(7):
        make_run(title=f"run {n}")

    card = latest_runs_card(logged_in(alice).get(procedure.get_absolute_url()).content.decode())

    assert re.findall(r'class="run-title"[^>]*>([^<]+)<', card) == [
        "run 6", "run 5", "run 4", "run 3", "run 2"
    ]  # fmt: skip
    assert "View all 7" in card


def test_counts_past_the_cap_read_as_cap_plus(alice, procedure, runs, monkeypatch):
    monkeypatch.setattr(selectors, "RUN_COUNT_CAP", 2)

    html = logged_in(alice).get(procedure.get_absolute_url()).content.decode()

    assert runs_fact(html) == "2+"
    assert "View all 2+" in latest_runs_card(html)


@pytest.mark.parametrize("viewer", ["alice", "charlie"])
def test_procedure_page_query_count_does_not_grow_with_runs(
    viewer, procedure, make_run, alice, bob, charlie, django_assert_num_queries
):
    user = {"alice": alice, "charlie": charlie}[viewer]
    client = logged_in(user)
    make_run(title="first")
    client.get(procedure.get_absolute_url())
    with django_assert_num_queries(7) as few:
        client.get(procedure.get_absolute_url())

    for n in range(6):
        shared = make_run(user=bob, title=f"shared {n}")
        Share.objects.create(record=shared, user=user)
        make_run(user=charlie if viewer == "alice" else alice, title=f"stranger run {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(procedure.get_absolute_url()).content.decode()

    assert "shared 5" in html
    assert "stranger run" not in html


# The version history


def add_version(procedure, alice, text):
    version, _ = procedure_version_add(
        procedure=procedure, body=f"{TLS_BODY}\n{text}\n", user=alice
    )
    return version


def version_runs(html: str) -> dict[str, str]:
    rows = re.findall(r"<strong>Version (\d+)</strong>.*?version-runs\">(.*?)</span>\s*(?:<a|$)",
                      html, re.S)  # fmt: skip
    return {number: re.sub(r"<[^>]+>", "", text) for number, text in rows}


def test_history_shows_the_visible_runs_of_each_version(procedure, alice, make_run, charlie):
    make_run(title="v1 run")
    make_run(user=charlie, title="charlie v1 run")
    newer = add_version(procedure, alice, "Revision 2")
    for title in ("v2 a", "v2 b"):
        execution_services.execution_start(version=newer, user=alice, values={"server": "x"},
                                           title=title)  # fmt: skip
    url = reverse("procedures:history", args=[procedure.pk])

    assert version_runs(logged_in(alice).get(url).content.decode()) == {"2": "2 runs",
                                                                      "1": "1 run"}  # fmt: skip
    assert version_runs(logged_in(charlie).get(url).content.decode()) == {"2": "No runs",
                                                                        "1": "1 run"}  # fmt: skip


def test_history_query_count_does_not_grow_with_runs(
    procedure, alice, bob, make_run, django_assert_num_queries
):
    add_version(procedure, alice, "Revision 2")
    url = reverse("procedures:history", args=[procedure.pk])
    client = logged_in(bob)
    client.get(url)
    with django_assert_num_queries(7) as few:
        client.get(url)
    for n in range(5):
        Share.objects.create(record=make_run(title=f"r{n}"), user=bob)
        make_run(title=f"stranger run {n}")

    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()

    assert version_runs(html)["1"] == "5 runs"


def test_history_compares_the_latest_two_versions_by_default(procedure, alice):
    add_version(procedure, alice, "Revision 2")
    html = logged_in(alice).get(reverse("procedures:history", args=[procedure.pk])).content.decode()

    assert "Changes from version 1 to version 2" in html
    assert '<option value="1" selected>Version 1</option>' in html
    assert '<option value="2" selected>Version 2</option>' in html
    assert '<span class="code" role="cell">Revision 2</span>' in html


def test_history_compares_any_two_chosen_versions_without_javascript(procedure, alice):
    add_version(procedure, alice, "Revision 2")
    add_version(procedure, alice, "Revision 3")
    url = reverse("procedures:history", args=[procedure.pk])

    html = logged_in(alice).get(url, {"old": "3", "new": "1"}).content.decode()

    assert '<form method="get" action="#compare" class="compare-form">' in html
    assert '<label for="id_old">From version</label>' in html
    assert "Changes from version 3 to version 1" in html
    assert re.search(
        r'class="line removed".*<span class="code" role="cell">Revision 3</span>', html
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"old": "1", "new": "1"}, "Choose two different versions."),
        ({"old": "1", "new": "9"}, "Choose a version from the list; 9 is not one of them."),
        ({"old": "x", "new": "2"}, "Choose a version from the list; x is not one of them."),
        ({"new": "2"}, "This field is required."),
    ],
)
def test_history_explains_a_bad_comparison(procedure, alice, query, message):
    add_version(procedure, alice, "Revision 2")
    url = reverse("procedures:history", args=[procedure.pk])

    response = logged_in(alice).get(url, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Changes from version" not in html


def test_history_of_a_single_version_has_nothing_to_compare(procedure, alice):
    html = logged_in(alice).get(reverse("procedures:history", args=[procedure.pk])).content.decode()

    assert "Compare versions" not in html
    assert ">Changes</a>" not in html


def test_each_version_links_to_its_changes(procedure, alice):
    add_version(procedure, alice, "Revision 2")
    html = logged_in(alice).get(reverse("procedures:history", args=[procedure.pk])).content.decode()

    assert 'href="?old=1&amp;new=2#compare">Changes</a>' in html
