"""API authentication: hashed tokens from POST /api/v1/auth/token/, and JSON errors."""

from __future__ import annotations

import hashlib

import pytest
from django.apps import apps
from django.core.cache import cache
from rest_framework.test import APIClient

from opscore.models import ApiToken
from procedures.models import Procedure

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "opscore"  # every fixture user's password (tests/conftest.py)


@pytest.fixture(autouse=True)
def fresh_throttle():
    # The login throttle counts in the cache; each test starts with a clean count.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous(db) -> APIClient:
    return APIClient()


def obtain_token(client: APIClient, username: str = "alice", password: str = PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_good_credentials_give_a_token(anonymous, alice):
    response = obtain_token(anonymous)

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert len(response.json()["token"]) >= 40


def test_the_token_authenticates_api_requests(anonymous, alice):
    key = obtain_token(anonymous).json()["token"]
    client = APIClient()

    response = client.get("/api/v1/procedures/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_token_request_acts_as_its_user(anonymous, alice):
    key = obtain_token(anonymous).json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post("/api/v1/procedures/", {"body": "# Made by token\n"}, format="json")

    assert response.status_code == 201
    assert Procedure.objects.get().created_by == alice


def test_each_login_issues_a_new_token(anonymous, alice):
    first = obtain_token(anonymous).json()["token"]
    second = obtain_token(anonymous).json()["token"]

    assert first != second
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_the_token_is_stored_only_as_its_sha256_digest(anonymous, alice):
    key = obtain_token(anonymous).json()["token"]

    token = ApiToken.objects.get()
    assert token.user == alice
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert key not in stored
    # DRF's clear-text token table does not even exist.
    assert not apps.is_installed("rest_framework.authtoken")


def test_token_use_is_recorded(anonymous, alice):
    key = obtain_token(anonymous).json()["token"]

    APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION=f"Token {key}")

    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "opscore"), ("ALICE ", "opscore")],
)
def test_bad_credentials_are_refused_with_400(anonymous, alice, username, password):
    response = obtain_token(anonymous, username, password)

    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to log in with those credentials."}
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "alice"}, {"password": "opscore"}, {"username": "", "password": "x"}],
)
def test_missing_credentials_are_refused_with_400(anonymous, alice, payload):
    response = anonymous.post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Send a username and a password."}


def test_credentials_that_are_not_text_are_refused_with_400(anonymous, alice):
    response = anonymous.post(
        TOKEN_URL, {"username": ["alice"], "password": {"p": 1}}, format="json"
    )

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(anonymous, alice):
    alice.is_active = False
    alice.save()

    assert obtain_token(anonymous).status_code == 400


def test_a_token_stops_working_when_its_user_is_deactivated(anonymous, alice):
    key = obtain_token(anonymous).json()["token"]
    alice.is_active = False
    alice.save()

    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_wrong_token_is_refused_with_401_json(anonymous, alice):
    obtain_token(anonymous)

    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION="Token not-a-real-key")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_the_token_digest_itself_is_not_a_token(anonymous, alice):
    obtain_token(anonymous)
    digest = ApiToken.objects.get().digest

    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION=f"Token {digest}")

    assert response.status_code == 401


def test_anonymous_api_requests_get_401_json(anonymous):
    response = anonymous.get("/api/v1/procedures/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_anonymous_api_requests_are_not_redirected_to_the_login_page(anonymous):
    response = anonymous.get("/api/v1/procedures/")

    assert "Location" not in response


def test_the_token_endpoint_needs_no_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)

    response = obtain_token(client)

    assert response.status_code == 200


def test_the_token_endpoint_refuses_get(anonymous):
    assert anonymous.get(TOKEN_URL).status_code == 405


def test_repeated_login_attempts_are_throttled(anonymous, alice):
    statuses = [obtain_token(anonymous, password="guess").status_code for _ in range(21)]

    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429
    assert obtain_token(anonymous).status_code == 429
