"""Error pages: the API answers in JSON whatever went wrong; the site answers with pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from opscore import urls as project_urls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nothing-here/",
        "/api/v1/executions/not-a-uuid/",
        "/api/v1/executions/00000000-0000-0000-0000-000000000000/steps/x/",
        "/api/v2/executions/",
    ],
)
def test_an_unknown_api_path_is_a_json_404(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_is_the_html_404(alice_client):
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def boom(request):
    raise RuntimeError("secret detail")


@pytest.fixture
def broken_urls(settings):
    class Urls:
        urlpatterns = [
            path("api/v1/boom/", boom),
            path("boom/", boom),
            *project_urls.urlpatterns,
        ]
        handler404 = project_urls.handler404
        handler500 = project_urls.handler500

    settings.ROOT_URLCONF = Urls


def test_a_crash_in_the_api_is_a_json_500_without_details(alice, broken_urls):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}
    assert b"secret detail" not in response.content


def test_a_crash_on_a_page_is_the_html_500(alice, broken_urls):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"secret detail" not in response.content
