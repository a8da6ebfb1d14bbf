"""Run again on the pages: record page → procedure page pre-filled → Start Execution."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from executions.models import ExecutionEvent, ExecutionRecord
from procedures.services import procedure_version_add
from sharing.models import Share
from tests.conftest import TLS_BODY, logged_in

# Version 2: "production" is no longer offered, a change ticket is required, a step is added.
V2_BODY = TLS_BODY.replace(
    "  environment: {type: choice, choices: [staging, production], default: staging}\n",
    "  environment: {type: choice, choices: [staging, prod], default: staging}\n"
    "  ticket: {label: Change ticket, required: true}\n",
).replace(
    "3. Return {{ server }} to the pool.",
    "3. Return {{ server }} to the pool.\n4. Close {{ ticket }}.",
)


@pytest.fixture
def old_run(make_record, procedure, alice):
    """alice's run of version 1 in production; then version 2 is saved."""
    record = make_record(environment="production", port="8443")
    procedure_version_add(procedure=procedure, body=V2_BODY, user=alice)
    return record


def run_again_url(record: ExecutionRecord) -> str:
    return f"{reverse('procedures:detail', args=[record.procedure_id])}?from={record.pk}"


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="(?:text|password)" name="var-{name}"[^>]*>', html)
    assert match, f"no input for {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


# The record page


def test_the_record_page_has_run_again_for_its_executor_and_its_viewers(record, bob):
    Share.objects.create(record=record, user=bob)

    for user in (record.executor, bob):
        html = logged_in(user).get(record.get_absolute_url()).content.decode()
        assert f'href="{run_again_url(record)}"' in html
        assert "Run again</a>" in html


def test_a_run_of_an_older_version_says_so_and_shows_what_changed(old_run, alice):
    html = logged_in(alice).get(old_run.get_absolute_url()).content.decode()

    assert "This run used version 1; the procedure is now at" in html
    assert "Since then: 1 step added · 1 variable changed, 1 added · +3 -1 lines." in html
    assert "What changed from version 1 to version 2" in html
    diff = html[html.index('id="version-diff"') :]
    assert '<span class="change-kind">Added</span>' in diff
    assert "<strong>Step 4</strong>" in diff
    assert "Close {{ ticket }}." in diff
    assert "<code>ticket</code>" in diff
    assert "<dt>choices</dt><dd><del>staging, production</del>" in diff


def test_a_run_of_the_latest_version_shows_no_diff(record, alice):
    html = logged_in(alice).get(record.get_absolute_url()).content.decode()

    assert "This run used version" not in html
    assert 'id="version-diff"' not in html


def test_the_older_version_diff_costs_no_query(old_run, alice, django_assert_num_queries):
    client = logged_in(alice)
    client.get(old_run.get_absolute_url())

    with django_assert_num_queries(6):  # as for any record page (its attachments included)
        response = client.get(old_run.get_absolute_url())

    assert 'id="version-diff"' in response.content.decode()


# The procedure page, pre-filled


def test_run_again_prefills_the_latest_version_with_the_values_that_fit(old_run, alice):
    response = logged_in(alice).get(run_again_url(old_run))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="procedure_version" value="{old_run.procedure.latest_version_id}"' in html
    assert field_value(html, "server") == "web-042"
    assert field_value(html, "port") == "8443"
    assert re.search(r'<option value="staging" selected>staging</option>', html)
    assert f'<input type="hidden" name="from" value="{old_run.pk}">' in html
    # The document is rendered with the carried values.
    assert '<span class="var" title="server">web-042</span>' in html


def test_run_again_names_each_value_not_carried_over(old_run, alice):
    html = logged_in(alice).get(run_again_url(old_run)).content.decode()

    notice = html[html.index('id="rerun-notice"') :]
    assert f'<a href="{old_run.get_absolute_url()}">{old_run.title}</a>' in notice
    assert (
        "<strong>Environment</strong> <code>environment</code> “production”: "
        "no longer one of the choices (staging, prod)." in notice
    )
    assert "Secrets are never carried over: enter <strong>Admin password</strong> again" in notice
    assert "<strong>Change ticket</strong> is required before you can start." in html


def test_run_again_never_puts_a_secret_into_the_page(old_run, alice):
    html = logged_in(alice).get(run_again_url(old_run)).content.decode()

    assert field_value(html, "admin_password") is None
    assert re.search(r'name="var-admin_password"[^>]*placeholder="Enter secret"', html)
    assert "hunter2" not in html


def test_run_again_of_a_record_a_stranger_cannot_see_is_404(old_run, charlie):
    response = logged_in(charlie).get(run_again_url(old_run))

    assert response.status_code == 404
    assert old_run.title not in response.content.decode()


def test_run_again_with_a_malformed_or_unknown_record_id_is_404(procedure, alice):
    client = logged_in(alice)
    base = reverse("procedures:detail", args=[procedure.pk])

    assert client.get(f"{base}?from=not-a-uuid").status_code == 404
    assert client.get(f"{base}?from=00000000-0000-0000-0000-000000000000").status_code == 404


def test_run_again_under_another_procedure_is_404(old_run, alice):
    from procedures.services import procedure_create

    other = procedure_create(title="Other", body="# Other\n\n1. Go.\n", user=alice)
    url = f"{reverse('procedures:detail', args=[other.pk])}?from={old_run.pk}"

    assert logged_in(alice).get(url).status_code == 404


def test_start_execution_after_run_again_creates_a_run_of_the_latest_version(old_run, bob):
    Share.objects.create(record=old_run, user=bob)
    latest = old_run.procedure.latest_version
    client = logged_in(bob)
    client.get(run_again_url(old_run))

    response = client.post(
        reverse("executions:start"),
        {"procedure_version": latest.pk, "from": str(old_run.pk), "var-server": "web-042",
         "var-port": "8443", "var-environment": "staging", "var-ticket": "CHG-1",
         "var-admin_password": "pw2"},
    )  # fmt: skip

    new = ExecutionRecord.objects.exclude(pk=old_run.pk).get()
    assert response.status_code == 302
    assert response["Location"] == new.get_absolute_url()
    assert new.executor.username == "bob"
    assert new.procedure_version == latest
    assert new.variables["ticket"] == "CHG-1"
    assert new.steps.count() == 4
    created = ExecutionEvent.objects.get(record=new, action="created")
    assert created.data["rerun_of"] == str(old_run.pk)
    timeline = client.get(new.get_absolute_url()).content.decode()
    assert f"Rotate TLS certificate v2 · run again of {str(old_run.pk)[:8]}" in timeline


def test_a_refused_start_after_run_again_keeps_the_notice_and_the_link(old_run, alice):
    latest = old_run.procedure.latest_version

    response = logged_in(alice).post(
        reverse("executions:start"),
        {"procedure_version": latest.pk, "from": str(old_run.pk), "var-server": "web-042"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Change ticket is required." in html
    assert 'id="rerun-notice"' in html
    assert f'<input type="hidden" name="from" value="{old_run.pk}">' in html
    assert 'id="latest-runs"' in html


def test_a_start_from_a_record_no_longer_visible_starts_without_the_link(old_run, bob):
    latest = old_run.procedure.latest_version

    response = logged_in(bob).post(
        reverse("executions:start"),
        {"procedure_version": latest.pk, "from": str(old_run.pk), "var-server": "web-9",
         "var-ticket": "CHG-2"},
    )  # fmt: skip

    assert response.status_code == 302
    new = ExecutionRecord.objects.get(executor__username="bob")
    assert "rerun_of" not in ExecutionEvent.objects.get(record=new, action="created").data
