# ruff: noqa: E501  (the table below reads best one surface a line, whatever its width)
"""Every role against every surface that shows or changes a record: one table, one test per cell.

Rows are surfaces (pages, htmx actions, API endpoints); columns are roles. Invisible means 404,
visible but read-only means 403, a logged-out (or deactivated) user is sent to log in (pages)
or gets 401 (API). In the list rows, IN and OUT say whether the record is listed (or, for the
timeline, shown). A refused request must change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from attachments import services as attachment_services
from attachments.uploads import StreamedUpload
from executions import services
from executions.models import ExecutionRecord
from tests.attachments.files import png

IN = "listed"  # 200, and the record (or its timeline) is in the response
OUT = "absent"  # 200, and it is not
LOGIN = "login"  # 302 to the login page

ROLES = (
    "executor",  # alice, who ran it
    "shared_user",  # bob, shared with directly
    "group_member",  # gina, in the auditors group it is shared with
    "stranger",  # charlie
    "superuser",  # admin
    "view_all",  # vera, holds executions.view_all_executionrecord
    "inactive",  # ivan: shared with directly and through auditors, then deactivated
    "anonymous",
)


@dataclass
class Scene:
    """What a cell acts on; an ``arrange`` step may add to it (an attachment, say)."""

    record: ExecutionRecord
    executor: User
    client: Client
    attachment: Any = None


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    url: Callable[[Scene], str]
    expect: tuple[int | str, ...]  # one per ROLES column
    data: Callable[[Scene], dict[str, Any]] | None = None
    json: bool = False
    arrange: Callable[[Scene], None] | None = None
    shows: Callable[[Scene, Any], bool] | None = None  # for IN / OUT cells

    @property
    def changes(self) -> bool:
        return self.method not in ("GET", "HEAD")


def page(name: str, *extra: Any) -> Callable[[Scene], str]:
    return lambda s: reverse(name, args=[s.record.pk, *extra])


def api(suffix: str = "") -> Callable[[Scene], str]:
    return lambda s: f"/api/v1/executions/{s.record.pk}/{suffix}"


def constant(url: str) -> Callable[[Scene], str]:
    return lambda s: url


def finished(s: Scene) -> None:
    services.execution_complete(record=s.record, user=s.executor)


def in_html(s: Scene, response: Any) -> bool:
    return s.record.get_absolute_url() in response.content.decode()


def in_api_list(s: Scene, response: Any) -> bool:
    return str(s.record.pk) in [row["id"] for row in response.json()["results"]]


def timeline_shown(s: Scene, response: Any) -> bool:
    html = response.content.decode()
    return 'id="timeline"' in html and "started the execution" in html


def with_attachment(s: Scene) -> None:
    """A screenshot on step 1, its thumbnail made (as the task would after the commit)."""
    upload = StreamedUpload.from_bytes("drain.png", png())
    try:
        stored = attachment_services.attachments_store(
            record=s.record, user=s.executor, uploads=[upload], step=1
        )
    finally:
        upload.close()
    attachment_services.thumbnail_make(attachment_id=stored[0].pk)
    s.attachment = stored[0]


def a_file(s: Scene) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("log.txt", b"nginx reloaded\n"), "step": "1"}


def attachment(path: str) -> Callable[[Scene], str]:
    return lambda s: path.format(pk=s.attachment.pk)


SHARE_AGAIN = {"access_scope": "shared", "users": ["bob", "charlie"], "groups": ["auditors"]}

# fmt: off
SURFACES = [
    #       surface                method  url                                  executor shared group stranger super view_all inactive anon
    Surface("execution page",      "GET",  page("executions:detail"),           (200,    200,   200,  404,     200,  200,     LOGIN,   LOGIN)),
    Surface("timeline on the page", "GET", page("executions:detail"),           (IN,     IN,    IN,   404,     IN,   IN,      LOGIN,   LOGIN), shows=timeline_shown),
    Surface("list page",           "GET",  constant("/executions/"),            (IN,     IN,    IN,   OUT,     IN,   IN,      LOGIN,   LOGIN), shows=in_html),
    Surface("save draft",          "POST", page("executions:save"),             (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=lambda s: {"version": "1", "notes": "changed"}),
    Surface("complete",            "POST", page("executions:complete"),         (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN)),
    Surface("fail",                "POST", page("executions:fail"),             (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=lambda s: {"reason": "Disk full"}),
    Surface("reopen",              "POST", page("executions:reopen"),           (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), arrange=finished),
    Surface("step done",           "POST", page("executions:step-done", 1),     (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=lambda s: {"done": "1"}),
    Surface("add step",            "POST", page("executions:step-add"),         (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=lambda s: {"description": "Check logs"}),
    Surface("share page",          "GET",  page("sharing:edit"),                (200,    403,   403,  404,     403,  403,     LOGIN,   LOGIN)),
    Surface("share save",          "POST", page("sharing:edit"),                (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=lambda s: SHARE_AGAIN),
    Surface("share suggestions",   "GET",  lambda s: reverse("sharing:suggest", args=[s.record.pk, "users"]) + "?add_users=c",
                                                                                (200,    403,   403,  404,     403,  403,     LOGIN,   LOGIN)),
    Surface("API detail",          "GET",  api(),                               (200,    200,   200,  404,     200,  200,     401,     401)),
    Surface("API list",            "GET",  constant("/api/v1/executions/"),     (IN,     IN,    IN,   OUT,     IN,   IN,      401,     401), shows=in_api_list),
    Surface("API events",          "GET",  api("events/"),                      (200,    200,   200,  404,     200,  200,     401,     401)),
    Surface("API update",          "PATCH", api(),                              (200,    403,   403,  404,     403,  403,     401,     401), data=lambda s: {"notes": "changed", "version": 1}, json=True),
    Surface("API complete",        "POST", api("complete/"),                    (200,    403,   403,  404,     403,  403,     401,     401)),
    Surface("API fail",            "POST", api("fail/"),                        (200,    403,   403,  404,     403,  403,     401,     401), data=lambda s: {"reason": "Disk full"}, json=True),
    Surface("API reopen",          "POST", api("reopen/"),                      (200,    403,   403,  404,     403,  403,     401,     401), arrange=finished),
    Surface("API step done",       "PATCH", api("steps/1/"),                    (200,    403,   403,  404,     403,  403,     401,     401), data=lambda s: {"done": True}, json=True),
    Surface("API add step",        "POST", api("steps/"),                       (201,    403,   403,  404,     403,  403,     401,     401), data=lambda s: {"description": "Check logs"}, json=True),
    Surface("API sharing read",    "GET",  api("sharing/"),                     (200,    200,   200,  404,     200,  200,     401,     401)),
    Surface("API sharing update",  "PUT",  api("sharing/"),                     (200,    403,   403,  404,     403,  403,     401,     401), data=lambda s: SHARE_AGAIN, json=True),
    Surface("upload",              "POST", page("attachments:upload"),          (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN), data=a_file),
    Surface("download",            "GET",  attachment("/attachments/{pk}/download"), (200,  200,   200,  404,     200,  200,     LOGIN,   LOGIN), arrange=with_attachment),
    Surface("thumbnail",           "GET",  attachment("/attachments/{pk}/thumbnail"), (200, 200,   200,  404,     200,  200,     LOGIN,   LOGIN), arrange=with_attachment),
    Surface("attachment delete",   "POST", attachment("/attachments/{pk}/delete/"), (302,   403,   403,  404,     403,  403,     LOGIN,   LOGIN), arrange=with_attachment),
    Surface("export",              "GET",  page("executions:export"),           (200,    200,   200,  404,     200,  200,     LOGIN,   LOGIN)),
    Surface("delete record",       "POST", page("executions:delete"),           (302,    403,   403,  404,     403,  403,     LOGIN,   LOGIN)),
    Surface("API upload",          "POST", api("attachments/"),                 (201,    403,   403,  404,     403,  403,     401,     401), data=a_file),
    Surface("API download",        "GET",  attachment("/api/v1/attachments/{pk}/download"), (200, 200, 200, 404,   200,  200,     401,     401), arrange=with_attachment),
    Surface("API thumbnail",       "GET",  attachment("/api/v1/attachments/{pk}/thumbnail"), (200, 200, 200, 404,  200,  200,     401,     401), arrange=with_attachment),
    Surface("API attachment delete", "DELETE", attachment("/api/v1/attachments/{pk}/"), (204, 403,  403,  404,     403,  403,     401,     401), arrange=with_attachment),
    Surface("API export",          "GET",  api("export"),                       (200,    200,   200,  404,     200,  200,     401,     401)),
    Surface("API delete record",   "DELETE", api(),                             (204,    403,   403,  404,     403,  403,     401,     401)),
]
# fmt: on


@pytest.fixture
def people(alice, bob, gina, charlie, admin_user, vera, ivan) -> dict[str, User | None]:
    return {
        "executor": alice,
        "shared_user": bob,
        "group_member": gina,
        "stranger": charlie,
        "superuser": admin_user,
        "view_all": vera,
        "inactive": ivan,
        "anonymous": None,
    }


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        # A deactivated user's session stops authenticating them: they are anonymous again.
        client.force_login(user)
    return client


def trail(record: ExecutionRecord) -> tuple[Any, ...]:
    """What any change to a record would alter."""
    record.refresh_from_db()
    steps = tuple(record.steps.values_list("number", "notes", "executed_at"))
    shares = tuple(record.shares.order_by("pk").values_list("user_id", "group_id"))
    return (record.version, record.status, record.notes, record.access_scope, steps, shares,
            record.events.count())  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name.replace(" ", "_"))
def test_access(surface: Surface, role: str, people, shared_record: ExecutionRecord) -> None:
    scene = Scene(record=shared_record, executor=people["executor"],
                  client=client_for(people[role]))  # fmt: skip
    if surface.arrange:
        surface.arrange(scene)
    expected = surface.expect[ROLES.index(role)]
    before = trail(scene.record)
    data = surface.data(scene) if surface.data else {}
    request = getattr(scene.client, surface.method.lower())
    url = surface.url(scene)
    if surface.json:
        response = request(url, json.dumps(data), content_type="application/json")
    elif surface.method == "GET":
        response = request(url)
    else:
        response = request(url, data)

    if expected in (IN, OUT):
        assert response.status_code == 200
        assert surface.shows is not None
        assert surface.shows(scene, response) is (expected == IN)
    elif expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    else:
        assert response.status_code == expected
    refused = expected in (LOGIN, 401, 403, 404)
    if refused:
        assert trail(scene.record) == before, "a refused request changed the record"
    elif surface.changes:
        assert trail(scene.record) != before, "an allowed change left no trace"


def test_the_table_has_a_cell_for_every_role() -> None:
    assert all(len(surface.expect) == len(ROLES) for surface in SURFACES)
    assert len({surface.name for surface in SURFACES}) == len(SURFACES)


def test_access_ends_at_once_on_every_surface(shared_record, alice, bob, gina, auditors):
    """Unsharing, going private and leaving the group each take effect on the next request."""
    from sharing.services import share_make_private, share_set

    surfaces = [
        reverse("executions:detail", args=[shared_record.pk]),
        f"/api/v1/executions/{shared_record.pk}/",
        f"/api/v1/executions/{shared_record.pk}/events/",
        f"/api/v1/executions/{shared_record.pk}/sharing/",
    ]
    bob_client, gina_client = client_for(bob), client_for(gina)

    def statuses(client: Client) -> set[int]:
        return {client.get(url).status_code for url in surfaces}

    def listed(client: Client) -> bool:
        rows = client.get("/api/v1/executions/").json()["results"]
        return str(shared_record.pk) in [row["id"] for row in rows]

    assert statuses(bob_client) == statuses(gina_client) == {200}
    share_set(record=shared_record, user=alice, access_scope="shared", group_names=["auditors"])
    assert statuses(bob_client) == {404}
    assert not listed(bob_client)
    auditors.user_set.remove(gina)
    assert statuses(gina_client) == {404}
    assert not listed(gina_client)
    auditors.user_set.add(gina)
    assert statuses(gina_client) == {200}
    share_make_private(record=shared_record, user=alice)
    assert statuses(gina_client) == {404}
    assert not listed(gina_client)
