from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.executions.search_world import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_filtering_swaps_the_results_and_keeps_the_url_in_step(
    page, live_server, alice, bob, sre, procedure
):
    world = build_world(alice, bob, sre, procedure)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/executions/")
    rows = page.locator("#results tbody tr a.row-link")
    expect(rows).to_have_count(4)

    # Typing searches after a pause; the URL can be bookmarked.
    page.get_by_label("Search titles, notes, step notes and variable values").fill("web-042")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/executions/\?q=web-042$"))

    # A variable filter is a chip, added with Enter.
    page.get_by_label("Variables").fill("environment=production")
    page.get_by_label("Variables").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("href", world.tls_web42.get_absolute_url())
    expect(page).to_have_url(re.compile(r"q=web-042&var=environment%3Dproduction"))
    expect(page.locator(".chip-input [data-chip]")).to_have_text(["environment=production"])

    # A status that matches nothing explains itself and offers the way back.
    page.get_by_text("Any status").click()
    page.locator("details[data-dropdown]").get_by_text("Failed").click()
    expect(page.locator("#results")).to_contain_text("No executions match these filters")
    expect(page).to_have_url(re.compile(r"status=failed"))
    page.locator("#results .empty").get_by_role("link", name="Clear filters").click()
    expect(page).to_have_url(f"{live_server.url}/executions/")
    expect(rows).to_have_count(4)
    expect(page.get_by_label("Search titles, notes, step notes and variable values")).to_have_value(
        ""
    )

    # The scope switch and the sort are in the URL too; a bookmark opens the same view.
    page.get_by_role("link", name="Shared with me").click()
    expect(page).to_have_url(re.compile(r"scope=shared"))
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="All", exact=True).click()
    expect(rows).to_have_count(4)
    page.get_by_label("Sort").select_option("started_at")
    expect(page).to_have_url(re.compile(r"ordering=started_at"))
    expect(rows.first).to_have_attribute("href", world.tls_web42.get_absolute_url())
    bookmarked = page.url
    page.goto(bookmarked)
    expect(rows.first).to_have_attribute("href", world.tls_web42.get_absolute_url())
    expect(page.get_by_label("Sort")).to_have_value("started_at")


def test_the_topbar_search_opens_the_executions_page(page, live_server, alice, bob, sre, procedure):
    build_world(alice, bob, sre, procedure)
    log_in(page, live_server, "alice")
    page.get_by_label("Search executions").fill("timeout")
    page.get_by_label("Search executions").press("Enter")
    expect(page).to_have_url(re.compile(r"/executions/\?q=timeout$"))
    expect(page.locator("#results tbody tr a.row-link")).to_have_count(1)


def test_swapped_controls_work_the_moment_they_appear(
    page, live_server, alice, bob, sre, procedure
):
    # htmx wires up swapped-in content when it "settles"; with a settle delay a control could be
    # on screen yet dead for a moment (a quick click or a test runner would be lost). Settling is
    # synchronous here: when the new results reach the DOM, no element is left waiting for it.
    build_world(alice, bob, sre, procedure)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/executions/")
    page.evaluate(
        """() => {
            window.pendingAfterSwap = [];
            new MutationObserver(() => {
                window.pendingAfterSwap.push(document.querySelectorAll('.htmx-added').length);
            }).observe(document.body, {childList: true, subtree: true});
        }"""
    )
    page.get_by_role("link", name="Mine").click()
    expect(page).to_have_url(re.compile(r"scope=mine"))
    page.get_by_label("Sort").select_option("started_at")
    expect(page).to_have_url(re.compile(r"ordering=started_at"))
    pending = page.evaluate("window.pendingAfterSwap")
    assert pending and set(pending) == {0}, pending


def test_on_a_phone_each_result_is_a_card_that_fits(page, live_server, alice, bob, sre, procedure):
    build_world(alice, bob, sre, procedure)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/executions/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator(".results-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    title = rows.first.locator(".cell-title").bounding_box()
    row = rows.first.bounding_box()
    assert title and row and title["width"] > row["width"] * 0.8  # the title has the full width


def test_on_a_phone_the_procedures_list_fits(page, live_server, alice, procedure):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "alice")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator(".procedures-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    expect(table.locator("tbody tr").first).to_contain_text("3 steps")
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(table.locator("thead")).to_be_visible()
    expect(table.locator(".phone-only").first).to_be_hidden()


def test_a_long_status_choice_ends_in_an_ellipsis_not_under_the_chevron(page, live_server, alice):
    log_in(page, live_server, "alice")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/executions/?status=completed&status=in_progress&status=failed")
    summary = page.locator("#f-status-summary")
    expect(summary).to_have_attribute("title", "Completed, In progress, Failed")
    text_right, box_right = summary.evaluate(
        "e => [e.getBoundingClientRect().right, e.parentElement.getBoundingClientRect().right]"
    )
    assert text_right <= box_right - 28  # the chevron's room (padding-right of .select-like)
