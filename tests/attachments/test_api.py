"""The attachments API: upload, read, download, delete, and every refusal (SPEC sections 5, 10)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from attachments import services
from attachments.models import Attachment
from executions import services as execution_services
from executions.models import ExecutionEvent
from sharing.models import Share
from tests.attachments.files import (
    HTML_PAGE,
    SCRIPTED_SVG,
    multipart,
    png,
    stored_files,
)
from tests.conftest import logged_in


def upload_url(record) -> str:
    return f"/api/v1/executions/{record.pk}/attachments/"


def post_files(client, record, *files: tuple[str, bytes], step: int | None = None, **extra):
    data: dict = {"file": [SimpleUploadedFile(name, content) for name, content in files]}
    if step is not None:
        data["step"] = str(step)
    return client.post(upload_url(record), data, **extra)


def share_with_bob(record, bob) -> None:
    record.access_scope = "shared"
    record.save(update_fields=["access_scope"])
    Share.objects.create(record=record, user=bob)


# ---- uploading -------------------------------------------------------------------------------


def test_executor_uploads_two_files_to_a_step(api, record, alice, attachment_root):
    first, second = png(), b"2025-03-14 09:14 drained\n"

    response = post_files(api, record, ("lb.png", first), ("drain.log", second), step=1)

    assert response.status_code == 201
    body = response.json()
    assert [item["file_name"] for item in body] == ["lb.png", "drain.log"]
    assert [item["step"] for item in body] == [1, 1]
    assert body[0]["sha256"] == hashlib.sha256(first).hexdigest()
    assert body[1]["sha256"] == hashlib.sha256(second).hexdigest()
    assert body[0]["size"] == len(first)
    assert body[0]["mime_type"] == "image/png"
    assert body[1]["mime_type"] == "text/plain"
    assert body[0]["storage_type"] == "local"
    assert body[0]["uploaded_by"] == "alice"
    assert body[0]["download_url"].endswith(f"/api/v1/attachments/{body[0]['id']}/download")
    for attachment in Attachment.objects.all():
        # The key is ids only: the user's file name appears in no path.
        assert attachment.storage_key == f"{record.pk}/{attachment.pk}"
        assert (attachment_root / str(record.pk) / str(attachment.pk)).exists()
    assert (attachment_root / str(record.pk) / body[0]["id"]).read_bytes() == first


def test_each_upload_writes_one_audit_event(api, record):
    post_files(api, record, ("a.png", png()), ("b.txt", b"hello"), step=2)

    events = ExecutionEvent.objects.filter(record=record, action="attachment_added")
    assert [e.data["file_name"] for e in events.order_by("seq")] == ["a.png", "b.txt"]
    event = events.get(data__file_name="b.txt")
    assert event.data == {
        "file_name": "b.txt",
        "size": 5,
        "sha256": hashlib.sha256(b"hello").hexdigest(),
        "step": 2,
    }


def test_upload_without_a_step_belongs_to_the_record(api, record):
    response = post_files(api, record, ("change-ticket.pdf", b"%PDF-1.7\n..."))

    assert response.status_code == 201
    assert response.json()[0]["step"] is None
    assert response.json()[0]["mime_type"] == "application/pdf"


def test_token_clients_upload_too(record, alice, client):
    token = client.post("/api/v1/auth/token/", {"username": "alice", "password": "opscore"}).json()[
        "token"
    ]

    response = post_files(client, record, ("x.png", png()), HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 201


@pytest.mark.parametrize("step", ["99", "one", "-1"])
def test_an_unknown_step_is_refused(api, record, step, attachment_root):
    response = api.post(
        upload_url(record), {"file": SimpleUploadedFile("a.png", png()), "step": step}
    )

    assert response.status_code == 400
    assert "step" in response.json()
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_a_request_without_files_is_refused(api, record):
    response = api.post(upload_url(record), {"step": "1"})

    assert response.status_code == 400
    assert response.json() == {"file": ["Choose at least one file."]}


def test_an_empty_file_is_refused_and_nothing_is_kept(api, record, attachment_root):
    response = post_files(api, record, ("ok.png", png()), ("empty.txt", b""))

    assert response.status_code == 400
    assert response.json() == {"file": ["empty.txt is empty."]}
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


# ---- refusals --------------------------------------------------------------------------------


def test_a_viewer_may_not_upload(record, bob, attachment_root):
    share_with_bob(record, bob)

    response = post_files(logged_in(bob), record, ("x.png", png()))

    assert response.status_code == 403
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_a_stranger_cannot_tell_the_record_exists(record, charlie, attachment_root):
    response = post_files(logged_in(charlie), record, ("x.png", png()))

    assert response.status_code == 404
    assert stored_files(attachment_root) == []


def test_anonymous_uploads_are_not_authenticated(client, record):
    assert post_files(client, record, ("x.png", png())).status_code == 401


def test_a_finished_record_takes_no_more_evidence(api, record, alice, attachment_root):
    execution_services.execution_complete(record=record, user=alice)

    response = post_files(api, record, ("late.png", png()))

    assert response.status_code == 409
    assert "locked" in response.json()["detail"]
    assert stored_files(attachment_root) == []


def test_an_oversize_file_is_413_and_nothing_is_left(api, record, settings, attachment_root):
    settings.ATTACHMENT_MAX_BYTES = 1000

    response = post_files(api, record, ("small.txt", b"x" * 10), ("core.dump", b"\x00" * 5000))

    assert response.status_code == 413
    assert "core.dump is larger than the limit of 1000 bytes" in response.json()["detail"]
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []  # nor any half-written temporary file
    assert not ExecutionEvent.objects.filter(action="attachment_added").exists()


def test_a_file_exactly_at_the_limit_is_accepted(api, record, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000

    assert post_files(api, record, ("edge.bin", b"\x01" * 1000)).status_code == 201


# ---- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "stored_name"),
    [
        ('filename="../../../etc/cron.d/evil.png"', "evil.png"),
        ('filename="..\\\\..\\\\windows\\\\evil.png"', "evil.png"),
        ("filename*=UTF-8''new%0Aline%00nul.png", "newlinenul.png"),
        ("filename*=UTF-8''..%2F..%2Fescape.png", "escape.png"),
    ],
)
def test_hostile_names_are_made_safe_and_never_reach_a_path(
    api, record, header, stored_name, attachment_root
):
    body, content_type = multipart([(header, png(), "image/png")])

    response = api.post(upload_url(record), body, content_type=content_type)

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.file_name == stored_name
    assert stored_files(attachment_root) == [f"{record.pk}/{attachment.pk}"]


def test_a_name_that_is_only_dots_is_no_file_at_all(api, record, attachment_root):
    body, content_type = multipart([('filename=".."', png(), "image/png")])

    response = api.post(upload_url(record), body, content_type=content_type)

    assert response.status_code == 400
    assert stored_files(attachment_root) == []


def test_the_type_comes_from_the_content_not_the_client(api, record):
    body, content_type = multipart(
        [
            ('filename="screenshot.txt"', png(), "text/html"),
            ('filename="notes.png"', b"just text, not an image\n", "image/png"),
            ('filename="logo.svg"', SCRIPTED_SVG, "image/svg+xml"),
            ('filename="page.html"', HTML_PAGE, "text/html"),
        ]
    )

    response = api.post(upload_url(record), body, content_type=content_type)

    by_name = {item["file_name"]: item for item in response.json()}
    assert by_name["screenshot.txt"]["mime_type"] == "image/png"
    assert by_name["notes.png"]["mime_type"] == "text/plain"
    assert by_name["logo.svg"]["mime_type"] == "image/svg+xml"
    assert by_name["page.html"]["mime_type"] == "text/html"
    assert by_name["screenshot.txt"]["thumbnail_status"] == "pending"
    assert by_name["notes.png"]["thumbnail_status"] == "none"
    assert by_name["logo.svg"]["thumbnail_status"] == "none"


def test_two_files_with_the_same_name_never_overwrite_each_other(api, record, attachment_root):
    post_files(api, record, ("shot.png", png(color="red")))
    post_files(api, record, ("shot.png", png(color="blue")))

    first, second = Attachment.objects.order_by("uploaded_at")
    assert first.storage_key != second.storage_key
    assert first.sha256 != second.sha256
    assert len(stored_files(attachment_root)) == 2


# ---- storage and database agree ----------------------------------------------------------------


def test_a_storage_error_leaves_no_row(api, record, monkeypatch, attachment_root):
    def broken(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)

    response = post_files(api, record, ("x.png", png()))

    assert response.status_code == 503
    assert Attachment.objects.count() == 0
    assert not ExecutionEvent.objects.filter(action="attachment_added").exists()


def test_a_rolled_back_transaction_leaves_no_file(api, record, monkeypatch, attachment_root):
    def failing_event(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "event_append", failing_event)

    with pytest.raises(RuntimeError):
        post_files(api, record, ("a.png", png()), ("b.png", png(color="red")))

    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


# ---- reading ---------------------------------------------------------------------------------


def test_the_record_lists_its_attachments_and_the_detail_fills_steps(api, record):
    post_files(api, record, ("one.png", png()), step=1)
    post_files(api, record, ("ticket.pdf", b"%PDF-1.4"))

    listed = api.get(upload_url(record)).json()
    detail = api.get(f"/api/v1/executions/{record.pk}/").json()

    assert [a["file_name"] for a in listed] == ["one.png", "ticket.pdf"]
    steps = {step["number"]: step["attachments"] for step in detail["steps"]}
    assert [a["file_name"] for a in steps[1]] == ["one.png"]
    assert steps[2] == []


def test_record_detail_costs_the_same_with_many_attachments(api, record, django_assert_num_queries):
    post_files(api, record, ("one.png", png()), step=1)
    with django_assert_num_queries(7):
        api.get(f"/api/v1/executions/{record.pk}/")
    for step in (1, 2, 3):
        post_files(api, record, *[(f"{step}-{n}.txt", b"x") for n in range(5)], step=step)

    with django_assert_num_queries(7):
        detail = api.get(f"/api/v1/executions/{record.pk}/").json()

    assert sum(len(s["attachments"]) for s in detail["steps"]) == 16


def test_a_viewer_reads_and_downloads_but_a_stranger_gets_404(api, record, bob, charlie):
    response = post_files(api, record, ("a.png", png()))
    attachment_id = response.json()[0]["id"]
    share_with_bob(record, bob)

    assert logged_in(bob).get(f"/api/v1/attachments/{attachment_id}/").status_code == 200
    assert logged_in(bob).get(f"/api/v1/attachments/{attachment_id}/download").status_code == 200
    assert logged_in(charlie).get(f"/api/v1/attachments/{attachment_id}/").status_code == 404
    assert logged_in(charlie).get(upload_url(record)).status_code == 404
    download = logged_in(charlie).get(f"/api/v1/attachments/{attachment_id}/download")
    assert download.status_code == 404


# ---- deleting --------------------------------------------------------------------------------


def test_delete_removes_the_row_now_and_the_file_after_commit(
    api, record, attachment_root, django_capture_on_commit_callbacks
):
    attachment_id = post_files(api, record, ("a.png", png()), step=1).json()[0]["id"]

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.delete(f"/api/v1/attachments/{attachment_id}/")
        assert stored_files(attachment_root) == [f"{record.pk}/{attachment_id}"]

    assert response.status_code == 204
    assert not Attachment.objects.filter(pk=attachment_id).exists()
    assert stored_files(attachment_root) == [f"{record.pk}/{attachment_id}"]
    for callback in callbacks:
        callback()
    assert stored_files(attachment_root) == []
    event = ExecutionEvent.objects.get(action="attachment_deleted")
    assert event.data["file_name"] == "a.png"
    assert event.data["step"] == 1


def test_delete_refusals(api, record, alice, bob, charlie, attachment_root):
    attachment_id = post_files(api, record, ("a.png", png())).json()[0]["id"]
    share_with_bob(record, bob)
    url = f"/api/v1/attachments/{attachment_id}/"

    assert logged_in(bob).delete(url).status_code == 403
    assert logged_in(charlie).delete(url).status_code == 404
    execution_services.execution_complete(record=record, user=alice)
    assert api.delete(url).status_code == 409
    assert Attachment.objects.filter(pk=attachment_id).exists()
    assert stored_files(attachment_root) == [f"{record.pk}/{attachment_id}"]


def test_a_step_read_back_through_the_api_lists_its_attachments(api, record):
    post_files(api, record, ("drain.png", png()), step=1)
    response = api.patch(
        f"/api/v1/executions/{record.pk}/steps/1/",
        {"notes": "Drained"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [a["file_name"] for a in response.json()["attachments"]] == ["drain.png"]
