from __future__ import annotations

from rest_framework.test import APIClient

from executions.models import ExecutionRecord


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(record: ExecutionRecord) -> str:
    return f"/api/v1/executions/{record.pk}/sharing/"


def test_anyone_who_sees_the_record_reads_whom_it_is_shared_with(
    shared_record, alice, bob, gina, admin_user
):
    expected = {"access_scope": "shared", "users": ["bob", "ivan"], "groups": ["auditors"]}
    for user in (alice, bob, gina, admin_user):
        response = api(user).get(url(shared_record))
        assert (response.status_code, response.json()) == (200, expected)


def test_a_private_record_reads_as_private(record, alice):
    assert api(alice).get(url(record)).json() == {
        "access_scope": "private",
        "users": [],
        "groups": [],
    }


def test_put_replaces_the_shares(shared_record, alice, charlie, sre):
    body = {"access_scope": "shared", "users": ["charlie"], "groups": ["sre", "auditors"]}
    response = api(alice).put(url(shared_record), body, format="json")
    assert response.status_code == 200
    assert response.json() == {"access_scope": "shared", "users": ["charlie"],
                               "groups": ["auditors", "sre"]}  # fmt: skip
    detail = api(alice).get(f"/api/v1/executions/{shared_record.pk}/").json()
    assert detail["access_scope"] == "shared"
    assert detail["shared_with"] == {"users": ["charlie"], "groups": ["auditors", "sre"]}
    actions = [
        e["action"] for e in api(alice).get(f"/api/v1/executions/{shared_record.pk}/events/").json()
    ]
    assert actions[-2:] == ["unshared", "shared"]


def test_put_private_revokes_every_share(shared_record, alice, bob):
    response = api(alice).put(url(shared_record), {"access_scope": "private"}, format="json")
    assert response.json() == {"access_scope": "private", "users": [], "groups": []}
    assert api(bob).get(url(shared_record)).status_code == 404


def test_shared_with_empty_lists_is_400_with_a_clear_message(record, alice):
    body = {"access_scope": "shared", "users": [], "groups": []}
    response = api(alice).put(url(record), body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "access_scope": [
            "Choose at least one person or group to share with, or choose Private to stop sharing."
        ]
    }


def test_unknown_names_and_bad_bodies_are_400(record, alice, bob):
    client = api(alice)
    unknown = client.put(url(record), {"access_scope": "shared", "users": ["bob", "zed"],
                                       "groups": ["nope"]}, format="json")  # fmt: skip
    assert unknown.status_code == 400
    assert unknown.json() == {"users": ["No such user: zed."], "groups": ["No such group: nope."]}
    assert client.put(url(record), {"users": ["bob"]}, format="json").status_code == 400
    bad_scope = client.put(url(record), {"access_scope": "public"}, format="json")
    assert bad_scope.status_code == 400
    assert "access_scope" in bad_scope.json()
    not_a_list = client.put(url(record), {"access_scope": "shared", "users": "bob"},
                            format="json")  # fmt: skip
    assert not_a_list.status_code == 400
    record.refresh_from_db()
    assert record.access_scope == "private"


def test_only_the_executor_changes_sharing(shared_record, bob, gina, admin_user, charlie):
    body = {"access_scope": "private"}
    for viewer in (bob, gina, admin_user):
        response = api(viewer).put(url(shared_record), body, format="json")
        assert response.status_code == 403
        assert "only its executor" in response.json()["detail"]
    assert api(charlie).put(url(shared_record), body, format="json").status_code == 404
    assert api().put(url(shared_record), body, format="json").status_code == 401
    assert api(charlie).get(url(shared_record)).status_code == 404
    assert api().get(url(shared_record)).status_code == 401
    assert shared_record.shares.count() == 3


def test_the_sharing_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = schema["paths"]["/api/v1/executions/{id}/sharing/"]
    assert set(operations) >= {"get", "put"}
