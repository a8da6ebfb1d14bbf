"""The Executions page (SPEC section 9): the same search as the API, as a page and htmx parts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from executions import search
from sharing.models import Share
from tests.conftest import logged_in
from tests.executions.search_world import build_world

URL = reverse("executions:list")
HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


@pytest.fixture
def world(alice, bob, sre, procedure):
    return build_world(alice, bob, sre, procedure)


DASH = "\u2013"  # an en dash, as in "1-25 of 27" on the page


def rows(html: str) -> list[str]:
    """The records in the results table, in order, as their page URLs."""
    return re.findall(r'class="row-link" href="([^"]+)"', html)


def urls(*records) -> list[str]:
    return [r.get_absolute_url() for r in records]


def test_page_lists_visible_records_with_their_columns(world, alice_client):
    response = alice_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert rows(html) == urls(world.bob_tls, world.failover_rec, world.tls_web7, world.tls_web42)
    assert 'Fail over database cluster <span class="subtle">v1</span>' in html
    assert 'class="badge badge-failed"' in html
    assert "4 executions" in html
    assert f"1{DASH}4 of 4" in html
    assert world.dora_private.get_absolute_url() not in html


def test_edit_and_delete_are_offered_only_on_ones_own_records(world, alice_client):
    html = alice_client.get(URL).content.decode()
    row_of = dict(re.findall(r'class="row-link" href="([^"]+)"(.*?)</tr>', html, re.S))
    own, others = (
        row_of[world.tls_web42.get_absolute_url()],
        row_of[world.bob_tls.get_absolute_url()],
    )
    assert ">Edit<" in own
    assert ">Delete<" in own
    assert ">Edit<" not in others
    assert ">Delete<" not in others
    assert ">View<" in others


def test_delete_from_the_list_removes_the_row(world, alice_client):
    url = world.tls_web42.get_absolute_url()
    response = alice_client.post(f"{url}delete/", follow=True)
    assert response.status_code == 200
    assert url not in response.content.decode()
    assert "was deleted" in response.content.decode()


def test_a_record_on_legal_hold_offers_no_delete(world, alice_client, admin_user):
    from executions.retention import execution_set_legal_hold

    execution_set_legal_hold(record=world.tls_web42, user=admin_user, hold=True)
    html = alice_client.get(URL).content.decode()
    row_of = dict(re.findall(r'class="row-link" href="([^"]+)"(.*?)</tr>', html, re.S))
    assert ">Delete<" not in row_of[world.tls_web42.get_absolute_url()]


def test_filters_come_back_filled_in_with_chips(world, alice_client):
    html = alice_client.get(
        URL + f"?q=web-042&procedure={world.tls.pk}&executor=alice&status=completed"
        "&started_after=2025-03-01&var=server%3Dweb-042&ordering=title"
    ).content.decode()
    assert rows(html) == urls(world.tls_web42)
    assert 'name="q" value="web-042"' in html
    assert f'<option value="{world.tls.pk}" selected>' in html
    assert '<option value="alice" selected>' in html
    assert 'value="completed" checked' in html
    assert 'value="2025-03-01"' in html
    assert '<input type="hidden" name="var" value="server=web-042">' in html
    assert '<option value="title" selected>' in html
    assert "1 execution</strong>" in html and "matching" in html
    # Each chip removes its own filter and keeps the others.
    assert 'href="/executions/?q=web-042&amp;procedure=' in html
    assert "Clear filters" in html


def test_htmx_gets_only_the_results(world, alice_client):
    response = alice_client.get(URL + "?q=timeout", **HTMX_RESULTS)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "search-form" in html  # the sort select belongs to the form
    assert rows(html) == urls(world.tls_web7)


def test_htmx_scope_switch_gets_form_and_results(world, alice_client):
    response = alice_client.get(
        URL + "?scope=shared", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-page"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="page search-page" id="search-page"')
    assert rows(html) == urls(world.bob_tls)
    assert 'href="/executions/?scope=shared" hx-get' in html and 'aria-current="page"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?started_after=2025-13-01", "started_after: enter a date as YYYY-MM-DD"),
        ("?started_before=soon", "started_before: enter a date as YYYY-MM-DD"),
        ("?status=done", "status: Select a valid choice. done is not one of"),
        ("?var=server", "var: write each variable as name=value (got &#x27;server&#x27;)"),
        ("?ordering=size", "ordering: Select a valid choice."),
        ("?scope=everyone", "scope: Select a valid choice."),
        ("?procedure=x", "procedure: Enter a whole number."),
    ],
)
def test_a_bad_parameter_is_a_form_error_naming_it(world, alice_client, query, message):
    for extra in ({}, HTMX_RESULTS):
        response = alice_client.get(URL + query, **extra)
        html = response.content.decode()
        assert response.status_code == 400
        assert "Check the search:" in html and message in html
        assert rows(html) == []  # never the unfiltered list


def test_empty_states_tell_no_records_from_no_match(world, alice_client, charlie_client):
    html = charlie_client.get(URL).content.decode()
    assert "No executions yet" in html and "Clear filters" not in html
    assert (
        "Nothing is shared with you yet"
        in charlie_client.get(URL + "?scope=shared").content.decode()
    )
    assert (
        "You have not run anything yet" in charlie_client.get(URL + "?scope=mine").content.decode()
    )
    html = alice_client.get(URL + "?q=nothing-like-this").content.decode()
    assert "No executions match these filters" in html
    assert 'href="/executions/"' in html and "Clear filters" in html


def test_the_count_shows_its_cap(world, alice_client, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    html = alice_client.get(URL).content.decode()
    assert "3+ executions" in html
    assert f"1{DASH}3 of 3+" in html


def test_pages_link_to_each_other_keeping_the_filters(alice, bob, make_record):
    for _ in range(27):
        make_record(server="web-001")
    client = logged_in(alice)
    html = client.get(URL + "?var=server%3Dweb-001").content.decode()
    assert f"1{DASH}25 of 27" in html
    assert 'href="/executions/?var=server%3Dweb-001&amp;page=2"' in html
    html = client.get(URL + "?var=server%3Dweb-001&page=2").content.decode()
    assert f"26{DASH}27 of 27" in html and len(rows(html)) == 2


def test_page_query_count_does_not_depend_on_page_size(alice, bob, make_record):
    for _ in range(30):
        Share.objects.create(record=make_record(), user=bob)

    def queries(query: str) -> int:
        client = logged_in(alice)
        with CaptureQueriesContext(connection) as context:
            assert client.get(URL + query).status_code == 200
        return len(context.captured_queries)

    assert queries("?page=1") == queries("?page=2")
    assert queries("?page=1&q=web&status=in_progress") == queries(
        "?page=2&q=web&status=in_progress"
    )


def test_the_topbar_search_box_sends_q_to_this_page(alice_client):
    html = alice_client.get(reverse("procedures:list")).content.decode()
    assert re.search(
        r'<form class="topbar-search"[^>]*action="/executions/"[^>]*method="get"', html
    )
    assert 'id="topbar-q" type="search" name="q"' in html
