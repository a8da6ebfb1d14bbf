"""Run again through the API: POST /api/v1/executions/{id}/rerun/ (executions.rerun)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from executions import services
from executions.models import ExecutionEvent, ExecutionRecord
from procedures.documents import SECRET_MASK
from procedures.services import procedure_create, procedure_version_add
from sharing.models import Share

V1 = """---
variables:
  server: {label: Server, required: true}
  replicas: {label: Replicas}
  environment: {type: choice, choices: [staging, production], default: staging}
  window: {label: Maintenance window}
  token: {type: secret, label: API token, required: true}
---
# Scale {{ server }}

1. Drain {{ server }}.
2. Scale to {{ replicas }} in {{ environment }} during {{ window }} with {{ token }}.
3. Done.
"""
V2 = """---
variables:
  server: {label: Server, required: true}
  replicas: {type: number, label: Replicas}
  environment: {type: choice, choices: [staging, prod], default: staging}
  token: {type: secret, label: API token, required: true}
---
# Scale {{ server }}

1. Drain {{ server }}.
2. Scale to {{ replicas }} in {{ environment }} with {{ token }}.
3. Check health.
4. Done.
"""


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def rerun_url(record: ExecutionRecord) -> str:
    return f"/api/v1/executions/{record.pk}/rerun/"


@pytest.fixture
def scaling(alice):
    return procedure_create(title="Scale a service", body=V1, user=alice)


def run_v1(scaling, user, **values) -> ExecutionRecord:
    values = {"server": "web-1", "token": "s3cret", **values}
    return services.execution_start(version=scaling.latest_version, user=user, values=values)


@pytest.fixture
def old_run(scaling, alice):
    """alice's run of version 1, before version 2 dropped and retyped some variables."""
    record = run_v1(scaling, alice, replicas="three", environment="production", window="Sat 02:00")
    procedure_version_add(procedure=scaling, body=V2, user=alice)
    return record


def test_rerun_starts_the_latest_version_with_the_compatible_values(scaling, alice):
    record = run_v1(scaling, alice, replicas="3")
    procedure_version_add(procedure=scaling, body=V2, user=alice)

    response = api(alice).post(rerun_url(record), {"variables": {"token": "n3w"}}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["procedure_version"]["number"] == 2
    assert body["variables"] == {"server": "web-1", "replicas": "3", "environment": "staging",
                                 "token": SECRET_MASK}  # fmt: skip
    assert [s["number"] for s in body["steps"]] == [1, 2, 3, 4]
    assert body["rerun_of"] == str(record.pk)
    assert body["dropped_variables"] == []
    assert ExecutionRecord.objects.count() == 2


def test_rerun_drops_values_that_no_longer_fit_and_names_each(old_run, alice):
    response = api(alice).post(rerun_url(old_run), {"variables": {"token": "t"}}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["variables"] == {"server": "web-1", "replicas": "", "environment": "staging",
                                 "token": SECRET_MASK}  # fmt: skip
    assert body["dropped_variables"] == [
        {"name": "replicas", "label": "Replicas", "value": "three",
         "reason": "the variable is now a number"},
        {"name": "environment", "label": "Environment", "value": "production",
         "reason": "no longer one of the choices (staging, prod)"},
        {"name": "window", "label": "Maintenance window", "value": "Sat 02:00",
         "reason": "the variable was removed"},
    ]  # fmt: skip


def test_rerun_never_carries_a_secret_and_a_required_one_missing_is_400(old_run, alice):
    response = api(alice).post(rerun_url(old_run), {}, format="json")

    assert response.status_code == 400
    errors = response.json()["variables"]
    assert list(errors) == ["token"]
    assert errors["token"][0] == "API token is required."
    assert "Secrets are never carried over" in errors["token"][1]
    assert ExecutionRecord.objects.count() == 1


def test_rerun_overrides_win_and_a_dropped_value_can_be_given_again(old_run, alice):
    response = api(alice).post(
        rerun_url(old_run),
        {"title": "Scale web-2", "variables": {"server": "web-2", "environment": "prod",
                                               "token": "t"}},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Scale web-2"
    assert body["variables"]["server"] == "web-2"
    assert body["variables"]["environment"] == "prod"


def test_rerun_refuses_bad_overrides_naming_the_variable(old_run, alice):
    response = api(alice).post(
        rerun_url(old_run), {"variables": {"token": "t", "replicas": "x", "nope": "1"}},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert set(response.json()["variables"]) == {"replicas", "nope"}


def test_a_required_value_that_was_dropped_explains_why_it_is_missing(scaling, alice):
    record = run_v1(scaling, alice, environment="production")
    procedure_version_add(
        procedure=scaling,
        body=V2.replace("environment: {type: choice, choices: [staging, prod], default: staging}",
                        "environment: {type: choice, choices: [staging, prod], required: true}"),
        user=alice,
    )  # fmt: skip

    response = api(alice).post(rerun_url(record), {"variables": {"token": "t"}}, format="json")

    assert response.status_code == 400
    messages = response.json()["variables"]["environment"]
    assert messages[0] == "Environment is required."
    assert messages[1] == (
        "The earlier run's value “production” was not carried over: "
        "no longer one of the choices (staging, prod)."
    )


def test_rerun_is_written_in_the_new_records_audit_trail_without_secrets(old_run, alice):
    response = api(alice).post(rerun_url(old_run), {"variables": {"token": "t0p"}}, format="json")

    created = ExecutionEvent.objects.get(record_id=response.json()["id"], action="created")
    assert created.data["rerun_of"] == str(old_run.pk)
    assert created.data["procedure_version"] == 2
    assert "t0p" not in str(created.data)


def test_a_viewer_the_record_is_shared_with_can_run_it_again_as_their_own(old_run, alice, bob):
    Share.objects.create(record=old_run, user=bob)

    response = api(bob).post(rerun_url(old_run), {"variables": {"token": "t"}}, format="json")

    assert response.status_code == 201
    assert response.json()["executor"]["username"] == "bob"
    old_run.refresh_from_db()
    assert old_run.executor == alice
    assert old_run.version == 1


def test_rerun_of_an_invisible_record_is_404_and_starts_nothing(old_run, charlie):
    response = api(charlie).post(rerun_url(old_run), {"variables": {"token": "t"}}, format="json")

    assert response.status_code == 404
    assert ExecutionRecord.objects.count() == 1


def test_rerun_of_a_deleted_record_is_404(old_run, alice):
    ExecutionRecord.objects.filter(pk=old_run.pk).update(deleted_at=old_run.started_at)

    response = api(alice).post(rerun_url(old_run), {"variables": {"token": "t"}}, format="json")

    assert response.status_code == 404


def test_rerun_needs_a_login(old_run):
    assert api().post(rerun_url(old_run), {}, format="json").status_code == 401


def test_rerun_is_in_the_openapi_schema(alice):
    schema = api(alice).get("/api/v1/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/executions/{id}/rerun/"]["post"]
    assert "Secrets are never carried over" in operation["description"]
    assert "201" in operation["responses"]
