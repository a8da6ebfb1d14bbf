"""Security headers, request ids, the deploy check and one-line logs (SPEC sections 11, 12)."""

from __future__ import annotations

import logging
import re
import secrets
import string
import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

import opscore.views
from opscore.config import BASE_DIR
from opscore.logging import (
    OneLineFormatter,
    RequestContextFilter,
    current_request_id,
    request_context,
)
from tests.conftest import clean_env

FORMAT = "%(levelname)s request_id=%(request_id)s user=%(user)s %(message)s"


def csp_directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize("path", ["/login/", "/healthz", "/procedures/", "/api/v1/procedures/"])
def test_responses_carry_the_security_headers(client, db, path):
    response = client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_the_content_security_policy_allows_nothing_inline_or_foreign(alice_client):
    response = alice_client.get("/procedures/")

    directives = csp_directives(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_pages_have_no_inline_scripts_or_event_handlers(alice_client, procedure):
    # Guards the CSP: an inline script would be blocked in the browser anyway.
    for url in ("/procedures/", procedure.get_absolute_url(), "/login/"):
        html = alice_client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url


def test_a_sane_request_id_is_echoed(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42_x")

    assert response["X-Request-ID"] == "lb-7f3a.42_x"


def test_a_request_id_is_generated_when_none_is_sent(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 65, "new\\nline", "<script>", "a;b", ""])
def test_an_unsafe_request_id_is_replaced(client, db, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_request_id_is_also_set_on_redirects_and_errors(client, db, alice_client):
    assert "X-Request-ID" in client.get("/procedures/")  # a redirect to login
    assert "X-Request-ID" in alice_client.get("/procedures/999999/")  # a 404


def test_deploy_check_passes_with_production_settings():
    alphabet = string.ascii_letters + string.digits + string.punctuation.replace("$", "")
    secret_key = "".join(secrets.choice(alphabet) for _ in range(60))

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean_env(
            DEBUG="0",
            SECRET_KEY=secret_key,
            SECURE_SSL="1",
            ALLOWED_HOSTS="opscore.example.com",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_warns_without_https():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean_env(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), SECURE_SSL="0"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr  # SECURE_SSL_REDIRECT


def make_record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("opscore.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_the_formatter_keeps_one_line_per_event():
    formatter = OneLineFormatter(FORMAT)
    record = make_record("first line\nforged: INFO admin logged in\r\nthird")
    RequestContextFilter().filter(record)

    text = formatter.format(record)

    assert "\n" not in text
    assert "\r" not in text
    assert "first line\\nforged: INFO admin logged in\\r\\nthird" in text


def test_the_formatter_folds_tracebacks_into_the_line():
    formatter = OneLineFormatter(FORMAT)
    try:
        raise ValueError("boom")
    except ValueError:
        record = make_record("failed", exc_info=sys.exc_info())
    RequestContextFilter().filter(record)

    text = formatter.format(record)

    assert "\n" not in text
    assert "Traceback (most recent call last):\\n" in text
    assert "ValueError: boom" in text


def test_outside_a_request_the_filter_marks_id_and_user_as_dashes():
    record = make_record("background work")

    assert RequestContextFilter().filter(record) is True
    assert record.request_id == "-"
    assert record.user == "-"


def test_the_filter_adds_the_request_id_and_the_user(alice):
    request = RequestFactory().get("/")
    request.user = alice
    record = make_record("hello")

    with request_context(request_id="req-123", request=request):
        RequestContextFilter().filter(record)
        assert current_request_id() == "req-123"

    assert record.request_id == "req-123"
    assert record.user == "alice"
    assert current_request_id() == "-"


def test_the_filter_does_not_resolve_a_lazy_user(alice):
    calls = []

    def load_user():
        calls.append(1)
        return alice

    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(load_user)
    record = make_record("hello")

    with request_context(request_id="req-1", request=request):
        RequestContextFilter().filter(record)

    assert record.user == "-"
    assert calls == []


def test_the_filter_names_no_user_for_anonymous_requests():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    record = make_record("hello")

    with request_context(request_id="req-2", request=request):
        RequestContextFilter().filter(record)

    assert record.user == "-"


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestContextFilter())
        self.setFormatter(OneLineFormatter(FORMAT))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_log_lines_written_during_a_request_carry_its_id_and_user(alice_client, monkeypatch):
    def broken_storage(storage):
        raise OSError("disk gone\nsecond line")

    monkeypatch.setattr(opscore.views, "storage_check", broken_storage)
    handler = ListHandler()
    logger = logging.getLogger("opscore.views")
    logger.addHandler(handler)
    try:
        alice_client.get("/healthz", HTTP_X_REQUEST_ID="trace-abc")
    finally:
        logger.removeHandler(handler)

    assert len(handler.lines) == 1
    line = handler.lines[0]
    assert line.startswith("ERROR request_id=trace-abc user=alice healthz: storage check failed")
    assert "OSError: disk gone\\nsecond line" in line


def test_django_s_own_lines_about_refused_requests_carry_the_id_and_user(alice_client):
    # django.request writes "Not Found: ..." after the middleware has finished.
    handler = ListHandler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        alice_client.get("/executions/00000000-0000-0000-0000-000000000000/",
                         HTTP_X_REQUEST_ID="trace-404")  # fmt: skip
    finally:
        logger.removeHandler(handler)

    assert handler.lines, "django.request wrote nothing"
    assert handler.lines[0].startswith("WARNING request_id=trace-404 user=alice Not Found:")


def test_celery_worker_and_beat_log_one_line_per_event_like_the_web(monkeypatch, settings):
    import logging.config

    from celery.signals import setup_logging

    from opscore.celery import use_django_logging

    # Connected, Celery leaves logging alone and this applies the web's configuration.
    assert any(receiver() is use_django_logging for _, receiver in setup_logging.receivers)
    applied = []
    monkeypatch.setattr(logging.config, "dictConfig", applied.append)
    use_django_logging()
    assert applied == [settings.LOGGING]
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "line"
