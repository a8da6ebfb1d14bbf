from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from executions import services
from executions.models import ExecutionEvent, ExecutionRecord
from procedures.services import procedure_version_add
from tests.browser.conftest import log_in
from tests.executions.test_rerun_views import V2_BODY

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_again_starts_the_latest_version_from_an_older_run(
    page, live_server, alice, procedure, make_record
):
    old = make_record(environment="production")
    services.execution_complete(record=old, user=alice)
    procedure_version_add(procedure=procedure, body=V2_BODY, user=alice)
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{old.get_absolute_url()}")

    # The record says it ran an older version, and shows what changed since.
    expect(page.get_by_role("note").filter(has_text="This run used version 1")).to_be_visible()
    page.get_by_text("What changed from version 1 to version 2").click()
    expect(page.locator("#version-diff .change-added").first).to_contain_text("Step 4")

    page.get_by_role("link", name="Run again").click()
    page.wait_for_url(re.compile(rf"/procedures/{procedure.pk}/\?from={old.pk}$"))
    expect(page.get_by_label("Server")).to_have_value("web-042")
    expect(page.get_by_label("Admin password")).to_have_value("")
    notice = page.locator("#rerun-notice")
    expect(notice).to_contain_text("Run again of")
    expect(notice).to_contain_text("“production”: no longer one of the choices (staging, prod)")
    expect(page.locator("#document")).to_contain_text("web-042")

    page.get_by_label("Change ticket").fill("CHG-7")
    expect(page.locator("#document")).to_contain_text("CHG-7")
    page.get_by_label("Admin password").fill("hunter3")
    # Leaving while the preview of the last keystroke is in flight makes htmx log an abort.
    expect(page.locator("#document .var-secret").first).to_be_visible()
    page.get_by_role("button", name="Start Execution").click()

    page.wait_for_url(re.compile(r"/executions/[0-9a-f-]{36}/$"))
    new = ExecutionRecord.objects.exclude(pk=old.pk).get()
    assert page.url.endswith(new.get_absolute_url())
    assert new.procedure_version.number == 2
    assert new.variables["server"] == "web-042"
    assert new.variables["ticket"] == "CHG-7"
    assert new.variables["environment"] == "staging"
    assert ExecutionEvent.objects.get(record=new, action="created").data["rerun_of"] == str(old.pk)
    expect(page.locator("#info .badge")).to_have_text("In progress")
    # The new run is on the latest version: no "older version" notice.
    expect(page.get_by_text("This run used version")).to_have_count(0)
