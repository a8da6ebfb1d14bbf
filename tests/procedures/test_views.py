"""Procedure pages: login gate, list, the three-pane page, history, create, edit and preview."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from procedures.models import Procedure
from procedures.services import procedure_create, procedure_version_add
from tests.conftest import TLS_BODY

CHANGED_BODY = TLS_BODY.replace("3. Return {{ server }} to the pool.", "3. Undrain {{ server }}.")
XSS_BODY = (
    "# Innocent {{ host }}\n\n"
    "<script>document.title = 'owned'</script>\n\n"
    '<img src="https://img.example/x.png" onerror="alert(1)">\n\n'
    '1. Visit <a href="javascript:alert(2)">here</a>.\n'
)


def document_pane(html: str) -> str:
    match = re.search(r'<article class="document" id="document">(.*?)</article>', html, re.S)
    assert match, "the page has no document pane"
    return match.group(1)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Login gate


@pytest.mark.parametrize(
    "url_name", ["procedures:list", "procedures:create", "executions:list", "home"]
)
def test_anonymous_users_are_sent_to_login(client, db, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("url_name", ["procedures:detail", "procedures:edit", "procedures:history"])
def test_anonymous_users_are_sent_to_login_from_a_procedure(client, procedure, url_name):
    url = reverse(url_name, args=[procedure.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert "Rotate" not in response.content.decode()


def test_anonymous_users_cannot_preview_a_procedure(client, version):
    url = reverse("procedures:preview", args=[version.procedure_id, version.number])

    response = client.post(url, {"var-server": "web-1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_anonymous_users_cannot_create_a_procedure(client, db):
    response = client.post(reverse("procedures:create"), {"title": "X", "body": "# X\n"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Procedure.objects.exists()


def test_login_page_and_healthz_are_reachable_without_login(client, db):
    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_login_page_has_username_and_password_fields(client, db):
    html = client.get("/login/").content.decode()

    assert re.search(r"<label[^>]*>Username</label>", html)
    assert re.search(r"<label[^>]*>Password</label>", html)
    assert 'name="username"' in html
    assert 'type="password" name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_logging_in_works_and_lands_on_the_procedures(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "opscore"})

    assert response.status_code == 302
    assert response["Location"] == reverse("procedures:list")
    assert client.get(reverse("procedures:list")).status_code == 200


def test_logging_in_follows_next(client, procedure):
    url = procedure.get_absolute_url()

    response = client.post("/login/", {"username": "alice", "password": "opscore", "next": url})

    assert response["Location"] == url


def test_a_wrong_password_is_refused_on_the_login_page(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get(reverse("procedures:list")).status_code == 302


def test_login_refuses_a_next_on_another_site(client, alice):
    response = client.post(
        "/login/",
        {"username": "alice", "password": "opscore", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("procedures:list")


# List


def test_procedure_list_shows_each_procedure_with_version_steps_and_variables(
    alice_client, procedure
):
    response = alice_client.get(reverse("procedures:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{procedure.get_absolute_url()}"><strong>Rotate TLS certificate</strong>' in html
    assert '<span class="tag">v1</span>' in html
    assert '<td class="nowrap">3<span class="phone-only"> steps</span></td>' in html
    assert "server, port, environment, admin_password" in html


def test_procedure_list_filters_by_title(alice_client, procedure, alice):
    procedure_create(title="Restart nginx", body="# Restart\n\n1. Go.\n", user=alice)

    html = alice_client.get(reverse("procedures:list"), {"q": "nginx"}).content.decode()

    assert "Restart nginx" in html
    assert "Rotate TLS certificate" not in html


def test_procedure_list_says_when_nothing_matches(alice_client, procedure):
    html = alice_client.get(reverse("procedures:list"), {"q": "<zzz>"}).content.decode()

    assert "No procedure matches “&lt;zzz&gt;”" in html


def test_procedure_list_query_count_does_not_grow_with_procedures(
    alice_client, alice, django_assert_num_queries
):
    def make(count):
        for index in range(Procedure.objects.count(), count):
            procedure_create(title=f"Procedure {index}", body=f"# P{index}\n\n1. Go.\n", user=alice)

    make(2)
    alice_client.get(reverse("procedures:list"))  # warm up sessions and caches
    with django_assert_num_queries(3) as two:
        alice_client.get(reverse("procedures:list"))
    make(20)
    with django_assert_num_queries(len(two.captured_queries)):
        response = alice_client.get(reverse("procedures:list"))

    assert response.content.decode().count('<span class="tag">v1</span>') == 20


# Detail


def test_procedure_page_has_three_panes(alice_client, procedure):
    html = alice_client.get(procedure.get_absolute_url()).content.decode()

    assert '<aside class="pane pane-left" aria-label="Variables"' in html
    assert '<section class="pane pane-center" aria-label="Procedure">' in html
    assert '<aside class="pane pane-right" aria-label="New execution">' in html


def test_procedure_page_has_a_variables_form_with_defaults_and_required_marks(
    alice_client, procedure
):
    html = alice_client.get(procedure.get_absolute_url()).content.decode()

    assert re.search(r'<input type="text" name="var-server"[^>]*form="start-form"', html)
    assert re.search(r'name="var-port"[^>]*value="443"', html)
    assert re.search(r'<option value="staging" selected>staging</option>', html)
    assert re.search(r'<input type="password" name="var-admin_password"', html)
    assert 'Server<span class="required-mark" title="Required">*</span>' in html
    assert "Host name as in the inventory." in html


def test_procedure_page_has_a_title_field_and_a_start_execution_button(alice_client, version):
    html = alice_client.get(version.procedure.get_absolute_url()).content.decode()

    assert f'<form id="start-form" method="post" action="{reverse("executions:start")}">' in html
    assert '<label for="start-title">Title</label>' in html
    assert f'name="procedure_version" value="{version.pk}"' in html
    assert re.search(r'<button type="submit"[^>]*>.*Start Execution</button>', html)


def test_procedure_page_renders_the_document_with_defaults_and_missing_values(
    alice_client, procedure
):
    html = document_pane(alice_client.get(procedure.get_absolute_url()).content.decode())

    assert '<span class="var var-missing" title="server has no value">{{ server }}</span>' in html
    assert '<span class="var" title="port">443</span>' in html
    assert '<span class="var" title="environment">staging</span>' in html
    assert 'data-step="3"' in html


def test_procedure_page_lists_required_values_still_missing(alice_client, procedure):
    html = alice_client.get(procedure.get_absolute_url()).content.decode()

    assert "<strong>Server</strong> is required before you can start." in html


def test_an_older_version_is_shown_with_a_warning(alice_client, procedure, alice):
    alice_client.post(
        reverse("procedures:edit", args=[procedure.pk]),
        {"title": procedure.title, "body": CHANGED_BODY},
    )

    html = alice_client.get(reverse("procedures:version", args=[procedure.pk, 1])).content.decode()

    assert "You are viewing version 1." in html
    assert "Return <span" in document_pane(html)


def test_an_unknown_procedure_or_version_is_404(alice_client, procedure):
    assert (
        alice_client.get(reverse("procedures:detail", args=[procedure.pk + 99])).status_code == 404
    )
    assert (
        alice_client.get(reverse("procedures:version", args=[procedure.pk, 7])).status_code == 404
    )


def test_procedure_page_query_count_is_small(
    alice_client, procedure, django_assert_max_num_queries
):
    alice_client.get(procedure.get_absolute_url())

    # session, user, procedure with its latest version, the user's permissions (two, for the
    # access policy), the latest runs and the run counts
    with django_assert_max_num_queries(7):
        alice_client.get(procedure.get_absolute_url())


# History


def test_history_lists_every_version_newest_first(alice_client, procedure, alice):
    alice_client.post(
        reverse("procedures:edit", args=[procedure.pk]),
        {"title": procedure.title, "body": CHANGED_BODY, "note": "Undrain wording"},
    )

    html = alice_client.get(reverse("procedures:history", args=[procedure.pk])).content.decode()

    assert html.index("Version 2") < html.index("Version 1")
    assert "Undrain wording" in html
    assert reverse("procedures:version", args=[procedure.pk, 1]) in html


def test_history_query_count_does_not_grow_with_versions(
    alice_client, procedure, alice, django_assert_num_queries
):
    def add_versions(count):
        while procedure.versions.count() < count:
            n = procedure.versions.count()
            procedure_version_add(
                procedure=procedure, body=f"{TLS_BODY}\nRevision {n}\n", user=alice
            )

    url = reverse("procedures:history", args=[procedure.pk])
    add_versions(2)
    alice_client.get(url)
    # session, user, procedure, versions, the user's permissions (two) and the run counts
    with django_assert_num_queries(7) as two:
        alice_client.get(url)
    add_versions(12)
    with django_assert_num_queries(len(two.captured_queries)):
        html = alice_client.get(url).content.decode()

    assert "Version 12" in html


# Create


def test_create_form_has_labelled_fields(alice_client):
    html = alice_client.get(reverse("procedures:create")).content.decode()

    assert '<label for="id_title">Title</label>' in html
    assert '<label for="id_body">Body</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_creating_a_procedure_redirects_to_it_with_a_message(alice_client, alice):
    response = alice_client.post(
        reverse("procedures:create"), {"title": "", "body": TLS_BODY, "note": "First"}
    )

    procedure = Procedure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == procedure.get_absolute_url()
    assert procedure.created_by == alice
    assert procedure.latest_version.number == 1
    assert messages_of(response) == [
        "Procedure “Rotate TLS certificate on {{ server }}” created as version 1."
    ]


def test_malformed_front_matter_re_renders_the_form_naming_the_line(alice_client):
    body = "---\nvariables:\n x: 1\n  y: 2\n---\n# Broken\n"

    response = alice_client.post(reverse("procedures:create"), {"title": "T", "body": body})

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<p class="error-text" role="alert">Front matter line 4: [^<]+</p>', html)
    assert "x: 1\n  y: 2" in html  # what was typed is kept
    assert not Procedure.objects.exists()


def test_an_unknown_variable_type_re_renders_the_form_naming_the_variable(alice_client):
    body = "---\nvariables:\n  server: {type: hostname}\n---\n# T\n"

    response = alice_client.post(reverse("procedures:create"), {"title": "T", "body": body})

    assert response.status_code == 200
    assert "Variable &#x27;server&#x27;: unknown type &#x27;hostname&#x27;" in (
        response.content.decode()
    )


def test_a_body_without_title_or_heading_re_renders_the_form_on_title(alice_client):
    response = alice_client.post(reverse("procedures:create"), {"title": "", "body": "1. Go.\n"})

    assert response.status_code == 200
    assert "Give the procedure a title" in response.content.decode()
    assert not Procedure.objects.exists()


def test_an_empty_body_is_refused(alice_client):
    response = alice_client.post(reverse("procedures:create"), {"title": "T", "body": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Procedure.objects.exists()


# Edit


def test_edit_form_is_prefilled_with_the_latest_body(alice_client, procedure):
    html = alice_client.get(reverse("procedures:edit", args=[procedure.pk])).content.decode()

    assert 'value="Rotate TLS certificate"' in html
    assert "Rotate TLS certificate on {{ server }}" in html
    assert "adds version 2" in html


def test_editing_saves_version_two(alice_client, procedure):
    response = alice_client.post(
        reverse("procedures:edit", args=[procedure.pk]),
        {"title": "Rotate TLS", "body": CHANGED_BODY, "note": "Undrain"},
    )

    procedure.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == procedure.get_absolute_url()
    assert procedure.title == "Rotate TLS"
    assert procedure.latest_version.number == 2
    assert procedure.latest_version.note == "Undrain"
    assert messages_of(response) == ["Saved as version 2."]


def test_editing_with_an_unchanged_body_saves_no_version(alice_client, procedure):
    response = alice_client.post(
        reverse("procedures:edit", args=[procedure.pk]),
        {"title": procedure.title, "body": TLS_BODY},
    )

    assert response.status_code == 302
    assert procedure.versions.count() == 1
    assert messages_of(response) == ["The body did not change, so no new version was saved."]


def test_editing_with_a_bad_body_re_renders_and_saves_nothing(alice_client, procedure):
    response = alice_client.post(
        reverse("procedures:edit", args=[procedure.pk]),
        {"title": "Renamed", "body": "---\nvariables:\n  a: {type: list}\n---\n# T\n"},
    )

    procedure.refresh_from_db()
    assert response.status_code == 200
    assert "Variable &#x27;a&#x27;" in response.content.decode()
    assert procedure.title == "Rotate TLS certificate"
    assert procedure.versions.count() == 1


# Preview (htmx)


def preview(client: Client, version, data):
    url = reverse("procedures:preview", args=[version.procedure_id, version.number])
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_preview_re_renders_the_document_with_the_typed_values(alice_client, version):
    response = preview(alice_client, version, {"var-server": "web-042", "var-port": "8443"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article class="document" id="document">')
    assert '<span class="var" title="server">web-042</span>' in html
    assert '<span class="var" title="port">8443</span>' in html
    assert "<html" not in html


def test_preview_escapes_the_typed_value(alice_client, version):
    response = preview(alice_client, version, {"var-server": "<img src=x onerror=alert(1)>"})

    html = response.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html


def test_preview_swaps_the_readiness_list_out_of_band(alice_client, version):
    missing = preview(alice_client, version, {"var-server": ""}).content.decode()
    ready = preview(alice_client, version, {"var-server": "web-042"}).content.decode()

    assert '<ul class="checklist" id="readiness" hx-swap-oob="true">' in missing
    assert "<strong>Server</strong> is required before you can start." in missing
    assert '<ul class="checklist" id="readiness" hx-swap-oob="true">' in ready
    assert "All required values are filled in." in ready


def test_preview_never_shows_a_typed_secret(alice_client, version):
    html = preview(
        alice_client, version, {"var-server": "web-1", "var-admin_password": "hunter2"}
    ).content.decode()

    assert "hunter2" not in html
    assert "••••••" in html


def test_preview_refuses_get(alice_client, version):
    url = reverse("procedures:preview", args=[version.procedure_id, version.number])

    assert alice_client.get(url).status_code == 405


# Escaping of procedure content


def test_a_script_in_a_procedure_body_never_reaches_the_page(alice_client, alice):
    procedure = procedure_create(title="Innocent", body=XSS_BODY, user=alice)

    html = alice_client.get(procedure.get_absolute_url()).content.decode()
    document = document_pane(html)

    assert "<script>document.title" not in html
    assert "owned" not in html
    assert "onerror" not in document
    assert "javascript:" not in document


def test_a_value_with_html_never_reaches_the_page_unescaped(alice_client, alice):
    procedure = procedure_create(title="Innocent", body=XSS_BODY, user=alice)
    version = procedure.latest_version

    html = preview(
        alice_client, version, {"var-host": '"><script>alert(3)</script>'}
    ).content.decode()

    assert "<script>alert(3)" not in html
    assert (
        '<span class="var" title="host">"&gt;&lt;script&gt;alert(3)&lt;/script&gt;</span>' in html
    )


def test_a_procedure_title_with_html_is_escaped_everywhere(alice_client, alice):
    procedure = procedure_create(
        title="<script>alert(4)</script>", body="# T\n\n1. Go.\n", user=alice
    )

    for url in (
        reverse("procedures:list"),
        procedure.get_absolute_url(),
        reverse("procedures:history", args=[procedure.pk]),
        reverse("procedures:edit", args=[procedure.pk]),
    ):
        html = alice_client.get(url).content.decode()
        assert "<script>alert(4)" not in html, url
        assert "&lt;script&gt;alert(4)&lt;/script&gt;" in html, url


# CSRF


def test_pages_hand_htmx_the_csrf_token(alice_client, procedure):
    html = alice_client.get(procedure.get_absolute_url()).content.decode()

    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([A-Za-z0-9]{64})\"\}'", html)
    assert match


def test_preview_without_a_csrf_token_is_refused(alice, version):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = preview(client, version, {"var-server": "web-1"})

    assert response.status_code == 403


def test_preview_with_the_csrf_header_is_accepted(alice, version):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(version.procedure.get_absolute_url())
    token = client.cookies["csrftoken"].value
    url = reverse("procedures:preview", args=[version.procedure_id, version.number])

    response = client.post(
        url, {"var-server": "web-1"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 200


def test_creating_a_procedure_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("procedures:create"), {"title": "T", "body": "# T\n"})

    assert response.status_code == 403
    assert not Procedure.objects.exists()


def test_logging_in_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "alice", "password": "opscore"})

    assert response.status_code == 403
