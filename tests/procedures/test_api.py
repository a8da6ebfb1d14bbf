"""JSON API for procedures and their versions (SPEC section 10)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from procedures.models import Procedure
from procedures.services import procedure_create
from tests.conftest import TLS_BODY

CHANGED_BODY = TLS_BODY.replace("3. Return {{ server }} to the pool.", "3. Undrain {{ server }}.")


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def anonymous(db) -> APIClient:
    return APIClient()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/procedures/"),
        ("post", "/api/v1/procedures/"),
        ("get", "/api/v1/procedures/1/"),
        ("post", "/api/v1/procedures/1/versions/"),
        ("get", "/api/v1/procedure-versions/1/"),
    ],
)
def test_anonymous_requests_get_401_json(anonymous, procedure, method, path):
    response = getattr(anonymous, method)(path, {}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_requests_create_nothing(anonymous, procedure):
    anonymous.post("/api/v1/procedures/", {"title": "X", "body": "# X\n"}, format="json")
    anonymous.post(f"/api/v1/procedures/{procedure.pk}/versions/", {"body": "# Y\n"}, format="json")

    assert Procedure.objects.count() == 1
    assert procedure.versions.count() == 1


def test_procedure_list_is_paginated_with_latest_versions(api, procedure, alice):
    procedure_create(title="Restart nginx", body="# Restart\n\n1. Go.\n", user=alice)

    response = api.get("/api/v1/procedures/")

    data = response.json()
    assert response.status_code == 200
    assert data["count"] == 2
    assert data["next"] is None
    assert [p["title"] for p in data["results"]] == ["Restart nginx", "Rotate TLS certificate"]
    tls = data["results"][1]
    assert tls["id"] == procedure.pk
    assert tls["latest_version"]["number"] == 1
    assert tls["latest_version"]["id"] == procedure.latest_version_id
    assert tls["url"] == f"/procedures/{procedure.pk}/"


def test_procedure_list_query_count_does_not_grow_with_procedures(
    api, alice, django_assert_num_queries
):
    def make(count):
        for index in range(Procedure.objects.count(), count):
            procedure_create(title=f"P{index}", body=f"# P{index}\n", user=alice)

    make(2)
    with django_assert_num_queries(2) as two:
        api.get("/api/v1/procedures/")
    make(20)
    with django_assert_num_queries(len(two.captured_queries)):
        response = api.get("/api/v1/procedures/")

    assert response.json()["count"] == 20


def test_creating_a_procedure_gives_201_and_version_one(api, alice):
    response = api.post(
        "/api/v1/procedures/", {"title": "Rotate TLS", "body": TLS_BODY}, format="json"
    )

    data = response.json()
    assert response.status_code == 201
    procedure = Procedure.objects.get()
    assert data["id"] == procedure.pk
    assert data["title"] == "Rotate TLS"
    assert data["latest_version"]["number"] == 1
    assert procedure.created_by == alice
    assert procedure.latest_version.body == TLS_BODY


def test_creating_a_procedure_without_title_uses_the_heading(api):
    response = api.post("/api/v1/procedures/", {"body": "# Restart nginx\n"}, format="json")

    assert response.status_code == 201
    assert response.json()["title"] == "Restart nginx"


def test_creating_a_procedure_keeps_leading_indentation_and_ends_with_one_newline(api):
    body = "    indented code first\n\n# Title\n\n\n"

    api.post("/api/v1/procedures/", {"title": "T", "body": body}, format="json")

    assert Procedure.objects.get().latest_version.body == "    indented code first\n\n# Title\n"


def test_a_malformed_body_is_refused_with_400_naming_the_line(api):
    body = "---\nvariables:\n x: 1\n  y: 2\n---\n# Broken\n"

    response = api.post("/api/v1/procedures/", {"title": "T", "body": body}, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["body"]
    assert errors["body"][0].startswith("Front matter line 4: ")
    assert not Procedure.objects.exists()


def test_an_unknown_variable_type_is_refused_with_400_naming_the_variable(api):
    body = "---\nvariables:\n  server: {type: hostname}\n---\n# T\n"

    response = api.post("/api/v1/procedures/", {"title": "T", "body": body}, format="json")

    assert response.status_code == 400
    assert "Variable 'server': unknown type 'hostname'" in response.json()["body"][0]


def test_a_missing_body_is_refused_with_400(api):
    response = api.post("/api/v1/procedures/", {"title": "T"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"body": ["This field is required."]}


def test_a_procedure_without_title_or_heading_is_refused_on_title(api):
    response = api.post("/api/v1/procedures/", {"body": "1. Go.\n"}, format="json")

    assert response.status_code == 400
    assert "title" in response.json()


def test_procedure_detail_has_its_latest_version(api, procedure):
    response = api.get(f"/api/v1/procedures/{procedure.pk}/")

    data = response.json()
    assert response.status_code == 200
    assert data["title"] == "Rotate TLS certificate"
    assert data["latest_version"] == {
        "id": procedure.latest_version.pk,
        "number": 1,
        "created_at": data["latest_version"]["created_at"],
    }
    assert "T" in data["latest_version"]["created_at"]


def test_an_unknown_procedure_is_404_json(api, procedure):
    response = api.get(f"/api/v1/procedures/{procedure.pk + 99}/")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_posting_a_changed_body_adds_a_version_with_201(api, procedure, alice):
    response = api.post(
        f"/api/v1/procedures/{procedure.pk}/versions/",
        {"body": CHANGED_BODY, "note": "Undrain"},
        format="json",
    )

    data = response.json()
    assert response.status_code == 201
    assert data["number"] == 2
    assert data["note"] == "Undrain"
    assert data["created_by"] == "alice"
    assert data["procedure"] == procedure.pk
    procedure.refresh_from_db()
    assert procedure.latest_version.number == 2


def test_posting_an_unchanged_body_answers_200_with_the_latest_version(api, procedure):
    response = api.post(
        f"/api/v1/procedures/{procedure.pk}/versions/", {"body": TLS_BODY}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["number"] == 1
    assert procedure.versions.count() == 1


def test_posting_a_bad_version_is_refused_with_400_and_adds_nothing(api, procedure):
    response = api.post(
        f"/api/v1/procedures/{procedure.pk}/versions/",
        {"body": "---\nvariables:\n  a: {type: choice}\n---\n"},
        format="json",
    )

    assert response.status_code == 400
    assert "Variable 'a'" in response.json()["body"][0]
    assert procedure.versions.count() == 1


def test_posting_a_version_to_an_unknown_procedure_is_404(api, procedure):
    response = api.post(
        f"/api/v1/procedures/{procedure.pk + 99}/versions/", {"body": TLS_BODY}, format="json"
    )

    assert response.status_code == 404


def test_version_detail_has_body_variables_and_steps(api, version):
    response = api.get(f"/api/v1/procedure-versions/{version.pk}/")

    data = response.json()
    assert response.status_code == 200
    assert data["id"] == version.pk
    assert data["number"] == 1
    assert data["body"] == TLS_BODY
    assert [v["name"] for v in data["variables"]] == [
        "server",
        "port",
        "environment",
        "admin_password",
    ]
    assert data["variables"][2] == {
        "name": "environment",
        "label": "Environment",
        "type": "choice",
        "default": "staging",
        "required": False,
        "choices": ["staging", "production"],
        "help": "",
    }
    assert data["steps"] == [
        {"number": 1, "description": "Drain {{ server }} from the load balancer."},
        {
            "number": 2,
            "description": (
                "Install the new certificate on port {{ port }} with password {{ admin_password }}."
            ),
        },
        {"number": 3, "description": "Return {{ server }} to the pool."},
    ]


def test_an_unknown_version_is_404(api, version):
    assert api.get(f"/api/v1/procedure-versions/{version.pk + 99}/").status_code == 404


def test_versions_cannot_be_changed_through_the_api(api, version):
    path = f"/api/v1/procedure-versions/{version.pk}/"

    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(path, {"body": "# Tampered\n"}, format="json")
        assert response.status_code == 405, method

    version.refresh_from_db()
    assert version.body == TLS_BODY


def test_session_authenticated_writes_need_a_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/api/v1/procedures/", {"title": "X", "body": "# X\n"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Procedure.objects.exists()


def test_the_openapi_schema_is_served(anonymous):
    response = anonymous.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "OpsCore API"
    assert "/api/v1/procedures/" in schema["paths"]
    assert "/api/v1/procedure-versions/{id}/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_the_openapi_schema_is_yaml_by_default(anonymous):
    response = anonymous.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    # Two serializers sharing a component name silently merge in the schema; fail instead.
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml")
    )

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")
