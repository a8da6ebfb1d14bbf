from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from executions.models import ExecutionRecord
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_a_procedure_from_start_to_completed(page, live_server, alice, procedure):
    log_in(page, live_server, "alice")
    page.get_by_role("link", name="Rotate TLS certificate").first.click()

    # The document re-renders as the values are typed.
    expect(page.locator("#document .var-missing").first).to_contain_text("{{ server }}")
    page.get_by_label("Server").fill("web-042")
    expect(page.locator("#document")).to_contain_text("web-042")
    page.get_by_label("Admin password").fill("hunter2")
    # Leaving while the preview of the last keystroke is in flight makes htmx log an abort.
    expect(page.locator("#document .var-secret").first).to_be_visible()
    page.get_by_role("button", name="Start Execution").click()

    page.wait_for_url(re.compile(r"/executions/[0-9a-f-]{36}/$"))
    record = ExecutionRecord.objects.get()
    assert record.variables["server"] == "web-042"
    expect(page.locator("#info .badge")).to_have_text("In progress")

    page.get_by_label("Notes for step 1").fill("Drained in 38 s.")
    page.locator("#ev-step-1-head").get_by_role("button", name="Mark done").click()
    expect(page.locator("#ev-step-1-head")).to_contain_text("Done")
    expect(page.locator("#progress")).to_contain_text("1 of 3 steps done")
    # Marking done did not disturb the unsaved note.
    expect(page.get_by_label("Notes for step 1")).to_have_value("Drained in 38 s.")

    page.get_by_role("button", name="Save Draft").click()
    expect(page.locator("#save-state")).to_contain_text("Saved")

    page.reload()
    expect(page.get_by_label("Notes for step 1")).to_have_value("Drained in 38 s.")
    assert "hunter2" not in page.content()

    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#info .badge")).to_have_text("Completed")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    record.refresh_from_db()
    assert record.status == "completed"
    assert record.steps.get(number=1).notes == "Drained in 38 s."


def test_a_stale_save_keeps_the_text_and_explains(page, live_server, alice, record):
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    from executions import services

    services.execution_save_draft(record=record, user=alice, version=1, notes="from another tab")
    page.get_by_label("Notes", exact=True).fill("my words")
    page.get_by_role("button", name="Save Draft").click()
    expect(page.locator("#form-alert")).to_contain_text("someone changed this record")
    expect(page.get_by_label("Notes", exact=True)).to_have_value("my words")


def test_mark_as_failed_asks_for_the_reason(page, live_server, alice, record):
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    page.locator(".action-bar").get_by_role("button", name="Mark as Failed").click()
    dialog = page.locator("#fail-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").fill("Replica lag too high")
    dialog.get_by_role("button", name="Mark as Failed").click()
    expect(page.locator("#info .badge")).to_have_text("Failed")
    record.refresh_from_db()
    assert "Replica lag too high" in record.notes


def test_on_a_phone_the_page_fits_and_the_actions_stay_on_one_row(page, live_server, alice, record):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The procedure's title in the document bar is shown whole, not cut to a letter.
    title = page.locator(".doc-bar .breadcrumbs a")
    assert title.evaluate("a => a.scrollWidth <= a.clientWidth"), title.inner_text()
    actions = page.locator("#actions .btn")
    expect(actions).to_have_text(["Share", "Mark as Failed", "Save Draft", "Complete"])
    tops = {round(box["y"]) for box in (a.bounding_box() for a in actions.all()) if box}
    assert len(tops) == 1, tops
    for action in actions.all():
        assert action.evaluate("b => b.scrollWidth <= b.clientWidth"), action.inner_text()


@pytest.mark.parametrize("debug", [False, True])
def test_a_refused_save_explains_in_place_in_production_and_in_development(
    page, live_server, alice, record, settings, debug
):
    # make run serves with DEBUG=1: a refusal (400) must not replace the page there either.
    from executions import services

    settings.DEBUG = debug
    services.execution_save_draft(record=record, user=alice, version=1, notes="Drained.")
    record.refresh_from_db()
    services.execution_complete(record=record, user=alice)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    page.get_by_label("Notes", exact=True).fill("Never drained.")
    page.get_by_role("button", name="Save Draft").click()
    expect(page.locator("#form-alert")).to_contain_text("can be added to, not changed")
    expect(page.get_by_label("Notes", exact=True)).to_have_value("Never drained.")
    expect(page.locator("#info .badge")).to_have_text("Completed")
