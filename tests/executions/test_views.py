from __future__ import annotations

import pytest
from django.urls import reverse

from executions import services
from executions.models import ExecutionRecord
from tests.conftest import logged_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(record: ExecutionRecord) -> str:
    return reverse("executions:detail", args=[record.pk])


def form_data(record: ExecutionRecord, **overrides: str) -> dict[str, str]:
    data = {
        "version": str(record.version),
        "title": record.title,
        "notes": record.notes,
        "var-server": record.variables["server"],
        "var-port": record.variables["port"],
        "var-environment": record.variables["environment"],
        "var-admin_password": "",
        "step-1-notes": "",
        "step-2-notes": "",
        "step-3-notes": "",
    }
    data.update(overrides)
    return data


# ---- starting ------------------------------------------------------------------------------


def test_start_execution_creates_the_record_and_opens_its_page(alice_client, version):
    response = alice_client.post(
        reverse("executions:start"),
        {"procedure_version": version.pk, "title": "", "var-server": "web-042",
         "var-port": "443", "var-environment": "staging", "var-admin_password": "pw"},
    )  # fmt: skip
    record = ExecutionRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page(record)
    assert record.variables["server"] == "web-042"


def test_start_with_missing_values_shows_the_procedure_page_with_errors(alice_client, version):
    response = alice_client.post(
        reverse("executions:start"),
        {"procedure_version": version.pk, "var-server": "", "var-port": "many"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Server is required." in html
    assert "Port must be a number" in html
    assert 'value="many"' in html  # what the user typed stays on screen
    assert ExecutionRecord.objects.count() == 0


def test_start_of_an_unknown_version_is_404(alice_client):
    response = alice_client.post(reverse("executions:start"), {"procedure_version": "999"})
    assert response.status_code == 404


# ---- the page ------------------------------------------------------------------------------


def test_page_shows_the_three_panes_with_values_and_current_step(alice_client, record):
    html = alice_client.get(page(record)).content.decode()
    assert 'class="pane pane-left"' in html
    assert '<span class="var" title="server">web-042</span>' in html
    assert "hunter2" not in html
    assert 'class="step is-current has-flag"' in html
    for button in ("Save Draft", "Complete", "Mark as Failed"):
        assert button in html
    assert "Reopen" not in html
    assert "started the execution" in html


def test_finished_record_offers_reopen_and_locks_variables(alice_client, record, alice):
    services.execution_complete(record=record, user=alice)
    html = alice_client.get(page(record)).content.decode()
    assert "Reopen" in html
    assert ">Complete<" not in html
    assert 'name="var-server"' in html and "readonly" in html


def test_stranger_gets_404_and_admin_reads_without_controls(charlie_client, admin_client, record):
    assert charlie_client.get(page(record)).status_code == 404
    response = admin_client.get(page(record))
    assert response.status_code == 200
    html = response.content.decode()
    assert "read-only" in html
    assert "Save Draft" not in html
    assert 'name="notes"' not in html


def test_viewer_cannot_change_anything(admin_client, charlie_client, record):
    for name in ("save", "complete", "fail", "reopen", "step-add"):
        url = reverse(f"executions:{name}", args=[record.pk])
        assert admin_client.post(url, form_data(record)).status_code == 403
        assert charlie_client.post(url, form_data(record)).status_code == 404
    url = reverse("executions:step-done", args=[record.pk, 1])
    assert admin_client.post(url, {"done": "1"}).status_code == 403


def test_anonymous_is_sent_to_login(client, record):
    response = client.get(page(record))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# ---- save draft ----------------------------------------------------------------------------


def test_save_draft_without_javascript_saves_and_redirects(alice_client, record):
    response = alice_client.post(
        reverse("executions:save", args=[record.pk]),
        form_data(record, notes="N1", **{"step-2-notes": "S2"}),
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.notes == "N1"
    assert record.steps.get(number=2).notes == "S2"
    html = alice_client.get(page(record)).content.decode()
    assert "S2</textarea>" in html


def test_save_draft_with_htmx_answers_with_out_of_band_parts(alice_client, record):
    response = alice_client.post(
        reverse("executions:save", args=[record.pk]), form_data(record, notes="N1"), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="record-version"' in html and 'value="2"' in html
    assert 'id="save-state"' in html and "Saved" in html
    assert 'id="timeline"' in html and "saved a draft" in html


def test_stale_save_is_refused_with_409_and_keeps_the_users_text(alice_client, record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="from elsewhere")
    stale = form_data(record, notes="my unsaved words", **{"step-1-notes": "my step text"})
    response = alice_client.post(reverse("executions:save", args=[record.pk]), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "my unsaved words</textarea>" in html
    assert "my step text</textarea>" in html
    assert "someone changed this record" in html
    record.refresh_from_db()
    assert record.notes == "from elsewhere"


def test_stale_save_with_htmx_explains_without_replacing_the_form(alice_client, record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="elsewhere")
    response = alice_client.post(
        reverse("executions:save", args=[record.pk]), form_data(record, notes="mine"), **HTMX
    )
    assert response.status_code == 409
    assert response["HX-Reswap"] == "none"
    html = response.content.decode()
    assert 'id="form-alert" hx-swap-oob="true"' in html
    assert 'name="notes"' not in html  # the textarea on screen is left alone


def test_invalid_variable_on_save_is_400_and_names_the_field(alice_client, record):
    response = alice_client.post(
        reverse("executions:save", args=[record.pk]), form_data(record, **{"var-port": "x"})
    )
    assert response.status_code == 400
    assert "Port must be a number" in response.content.decode()


def test_a_finished_run_takes_added_notes_and_explains_a_rewrite(alice_client, record, alice):
    services.execution_save_draft(record=record, user=alice, version=1, notes="Drained.")
    services.execution_complete(record=record, user=alice)
    record.refresh_from_db()
    html = alice_client.get(page(record)).content.decode()
    assert "notes can be added to; reopen the run to change what they say" in html
    assert 'name="title"' in html and "readonly" in html

    url = reverse("executions:save", args=[record.pk])
    response = alice_client.post(url, form_data(record, notes="Drained.\r\nVerified at 09:00."))
    assert response.status_code == 302
    record.refresh_from_db()
    rewritten = form_data(record, notes="Never drained.")
    response = alice_client.post(url, rewritten)
    assert response.status_code == 400
    html = response.content.decode()
    assert "can be added to, not changed" in html
    assert "Never drained.</textarea>" in html  # the user's text is kept on screen
    record.refresh_from_db()
    assert record.notes == "Drained.\nVerified at 09:00."  # the form normalises line endings


# ---- steps and lifecycle -------------------------------------------------------------------


def test_step_done_with_htmx_updates_heads_document_and_progress(alice_client, record):
    response = alice_client.post(
        reverse("executions:step-done", args=[record.pk, 1]), {"done": "1"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ev-step-1-head" hx-swap-oob="true"' in html
    assert "1 of 3 steps done" in html
    assert 'id="document" hx-swap-oob="true"' in html
    assert record.steps.get(number=1).executed_at is not None
    alice_client.post(reverse("executions:step-done", args=[record.pk, 1]), {"done": "0"}, **HTMX)
    assert record.steps.get(number=1).executed_at is None


def test_step_done_without_javascript_keeps_the_typed_notes(alice_client, record):
    data = form_data(record, **{"step-1-notes": "typed", "done": "1"})
    response = alice_client.post(reverse("executions:step-done", args=[record.pk, 1]), data)
    assert response.status_code == 302
    step = record.steps.get(number=1)
    assert (step.notes, step.executed_at is not None) == ("typed", True)


def test_add_step(alice_client, record):
    response = alice_client.post(
        reverse("executions:step-add", args=[record.pk]), {"description": "Check logs"}, **HTMX
    )
    assert response.status_code == 200
    assert "Check logs" in response.content.decode()
    assert record.steps.count() == 4
    response = alice_client.post(
        reverse("executions:step-add", args=[record.pk]), {"description": " "}, **HTMX
    )
    assert response.status_code == 400
    assert "Describe the step" in response.content.decode()


def test_complete_without_javascript_saves_the_form_first(alice_client, record):
    response = alice_client.post(
        reverse("executions:complete", args=[record.pk]), form_data(record, notes="final words")
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.notes) == ("completed", "final words")
    html = alice_client.get(page(record)).content.decode()
    assert "Completed" in html


def test_fail_needs_a_reason(alice_client, record):
    url = reverse("executions:fail", args=[record.pk])
    response = alice_client.post(url, form_data(record, reason=""))
    assert response.status_code == 400
    assert "Say why the run failed" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "in_progress"
    alice_client.post(url, form_data(record, reason="Disk full"))
    record.refresh_from_db()
    assert record.status == "failed"
    assert "Disk full" in record.notes


def test_reopen(alice_client, record, alice):
    services.execution_complete(record=record, user=alice)
    alice_client.post(reverse("executions:reopen", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == "in_progress"


# ---- performance shape ---------------------------------------------------------------------


@pytest.mark.parametrize("extra_steps", [2, 97])
def test_page_query_count_does_not_grow_with_steps(
    record, alice, extra_steps, django_assert_max_num_queries, django_assert_num_queries
):
    for index in range(extra_steps):
        services.execution_step_add(record=record, user=alice, description=f"extra {index}")
    for number in range(1, 4):
        services.execution_step_set_done(record=record, user=alice, number=number, done=True)
    client = logged_in(alice)
    client.get(page(record))  # warm the session
    with django_assert_num_queries(6):  # ... and one for all the record's attachments
        response = client.get(page(record))
    assert response.status_code == 200
    assert record.steps.count() == 3 + extra_steps


def test_list_shows_only_visible_records(alice_client, charlie_client, record):
    assert record.title in alice_client.get(reverse("executions:list")).content.decode()
    assert record.title not in charlie_client.get(reverse("executions:list")).content.decode()


def test_read_only_page_shows_a_stored_secret_as_the_mask_never_in_clear(admin_client, record):
    html = admin_client.get(page(record)).content.decode()
    assert 'value="••••••" placeholder="Not set" readonly' in html
    assert "hunter2" not in html
