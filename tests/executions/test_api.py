from __future__ import annotations

from rest_framework.test import APIClient

from executions import services
from executions.models import ExecutionRecord
from procedures.documents import SECRET_MASK


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(record: ExecutionRecord, suffix: str = "") -> str:
    return f"/api/v1/executions/{record.pk}/{suffix}"


def test_start_returns_201_with_the_record(alice, version):
    response = api(alice).post(
        "/api/v1/executions/",
        {"procedure_version": version.pk, "variables": {"server": "web-1", "port": 8443,
                                                        "admin_password": "pw"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["procedure"] == {"id": version.procedure_id, "title": "Rotate TLS certificate"}
    assert body["procedure_version"] == {"id": version.pk, "number": 1}
    assert body["executor"]["username"] == "alice"
    assert body["variables"]["port"] == "8443"
    assert body["variables"]["admin_password"] == SECRET_MASK
    assert [s["number"] for s in body["steps"]] == [1, 2, 3]
    assert body["version"] == 1
    assert body["shared_with"] == {"users": [], "groups": []}
    assert body["url"].endswith(f"/executions/{body['id']}/")
    assert body["started_at"].endswith(("+00:00", "Z"))


def test_start_with_bad_variables_is_400_naming_each(alice, version):
    response = api(alice).post(
        "/api/v1/executions/",
        {"procedure_version": version.pk, "variables": {"port": "x", "nope": "1"}},
        format="json",
    )
    assert response.status_code == 400
    variables = response.json()["variables"]
    assert set(variables) == {"server", "port", "nope"}


def test_start_needs_a_known_version_and_a_login(alice, version):
    assert api(alice).post("/api/v1/executions/", {"procedure_version": 999}).status_code == 404
    assert api(alice).post("/api/v1/executions/", {}, format="json").status_code == 400
    assert api().post("/api/v1/executions/", {}).status_code == 401


def test_list_holds_visible_records_without_steps(alice, charlie, record):
    body = api(alice).get("/api/v1/executions/").json()
    assert body["count"] == 1
    assert "steps" not in body["results"][0]
    assert api(charlie).get("/api/v1/executions/").json()["count"] == 0


def test_detail_404_for_strangers_and_readable_by_admin(charlie, admin_user, record):
    assert api(charlie).get(url(record)).status_code == 404
    assert api(admin_user).get(url(record)).status_code == 200
    assert api().get(url(record)).status_code == 401


def test_patch_saves_and_bumps_version_then_stale_is_409(alice, record):
    client = api(alice)
    response = client.patch(url(record), {"notes": "n", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    response = client.patch(url(record), {"notes": "stale", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert "changed" in response.json()["detail"]


def test_patch_refusals(alice, admin_user, record):
    assert api(alice).patch(url(record), {"notes": "x"}, format="json").status_code == 400
    bad = api(alice).patch(url(record), {"variables": {"port": "x"}, "version": 1}, format="json")
    assert bad.status_code == 400
    assert bad.json()["variables"] == {"port": ["Port must be a number, got 'x'."]}
    forbidden = api(admin_user).patch(url(record), {"notes": "x", "version": 1}, format="json")
    assert forbidden.status_code == 403


def test_a_finished_run_s_notes_are_added_to_through_the_api_never_rewritten(alice, record):
    client = api(alice)
    client.patch(url(record), {"notes": "Drained.", "version": 1}, format="json")
    finished = client.post(url(record, "complete/")).json()
    added = client.patch(
        url(record), {"notes": "Drained.\nVerified.", "version": finished["version"]},
        format="json",
    )  # fmt: skip
    assert added.status_code == 200
    rewritten = client.patch(
        url(record), {"notes": "Nothing.", "version": added.json()["version"]}, format="json"
    )
    assert rewritten.status_code == 400
    assert "added to, not changed" in rewritten.json()["notes"][0]
    step = client.patch(url(record, "steps/1/"), {"notes": "x"}, format="json")
    assert step.status_code == 200  # empty before: an addition
    step = client.patch(url(record, "steps/1/"), {"notes": "y"}, format="json")
    assert step.status_code == 400


def test_lifecycle_endpoints(alice, record):
    client = api(alice)
    assert client.post(url(record, "fail/"), {}, format="json").status_code == 400
    assert client.post(url(record, "complete/")).json()["status"] == "completed"
    assert client.post(url(record, "complete/")).status_code == 409
    assert client.post(url(record, "fail/"), {"reason": "x"}, format="json").status_code == 409
    assert client.post(url(record, "reopen/")).json()["status"] == "in_progress"
    failed = client.post(url(record, "fail/"), {"reason": "boom"}, format="json").json()
    assert failed["status"] == "failed"
    assert "boom" in failed["notes"]


def test_lifecycle_is_403_for_viewers_and_404_for_strangers(admin_user, charlie, record):
    for action in ("complete/", "reopen/", "fail/"):
        assert api(admin_user).post(url(record, action)).status_code == 403
        assert api(charlie).post(url(record, action)).status_code == 404


def test_steps_add_and_patch(alice, record):
    client = api(alice)
    created = client.post(url(record, "steps/"), {"description": "Check"}, format="json")
    assert created.status_code == 201
    assert created.json()["number"] == 4
    step = client.patch(url(record, "steps/2/"), {"notes": "ok", "done": True}, format="json")
    assert step.status_code == 200
    assert step.json()["notes"] == "ok"
    assert step.json()["executed_at"] is not None
    assert step.json()["executed_by"] == "alice"
    undone = client.patch(url(record, "steps/2/"), {"done": False}, format="json").json()
    assert undone["executed_at"] is None
    assert client.patch(url(record, "steps/9/"), {"done": True}, format="json").status_code == 404


def test_events_are_the_timeline_in_order(alice, charlie, record):
    services.execution_complete(record=record, user=alice)
    events = api(alice).get(url(record, "events/")).json()
    assert [e["action"] for e in events] == ["created", "status_changed"]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert api(charlie).get(url(record, "events/")).status_code == 404


def test_api_list_query_count_does_not_grow_with_records(alice, bob, sre, make_record):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sharing.models import Share

    def count_queries() -> int:
        client = api(type(alice).objects.get(pk=alice.pk))  # a fresh user: no cached perms
        with CaptureQueriesContext(connection) as context:
            assert client.get("/api/v1/executions/").status_code == 200
        return len(context.captured_queries)

    first = make_record()
    Share.objects.create(record=first, user=bob)
    Share.objects.create(record=first, group=sre)
    few = count_queries()
    for _ in range(6):
        record = make_record()
        Share.objects.create(record=record, user=bob)
        Share.objects.create(record=record, group=sre)
    assert count_queries() == few
