"""Downloads and thumbnails from local storage: who may fetch what, and how it is served."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from attachments import services
from attachments.models import Attachment
from attachments.uploads import StreamedUpload
from executions import services as execution_services
from tests.attachments.files import HTML_PAGE, SCRIPTED_SVG, png
from tests.conftest import logged_in


def attach(record, user, name: str, content: bytes, step: int | None = None) -> Attachment:
    upload = StreamedUpload.from_bytes(name, content)
    try:
        (attachment,) = services.attachments_store(
            record=record, user=user, uploads=[upload], step=step
        )
    finally:
        upload.close()
    return attachment


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_a_verified_image_is_shown_inline_with_a_sandbox(alice_client, record, alice, prefix):
    content = png()
    attachment = attach(record, alice, "lb graph.png", content)

    response = alice_client.get(f"{prefix}/attachments/{attachment.pk}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "inline; filename=\"lb graph.png\"; filename*=UTF-8''lb%20graph.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert body_of(response) == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", SCRIPTED_SVG),
        ("page.html", HTML_PAGE),
        ("notes.png", b"text pretending to be an image"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
    ],
)
def test_everything_else_downloads_as_an_opaque_attachment(
    alice_client, record, alice, name, content
):
    attachment = attach(record, alice, name, content)

    response = alice_client.get(f"/attachments/{attachment.pk}/download")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{name}"')
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert body_of(response) == content


def test_unicode_names_download_under_their_own_name(alice_client, record, alice):
    attachment = attach(record, alice, "Prüfprotokoll.log", b"ok\n")

    response = alice_client.get(f"/attachments/{attachment.pk}/download")

    assert "filename*=UTF-8''Pr%C3%BCfprotokoll.log" in response["Content-Disposition"]


def test_access_is_checked_on_every_download(client, record, alice, bob, charlie, admin_user):
    attachment = attach(record, alice, "a.png", png())
    url = f"/attachments/{attachment.pk}/download"

    assert logged_in(alice).get(url).status_code == 200
    assert logged_in(admin_user).get(url).status_code == 200
    assert logged_in(bob).get(url).status_code == 404  # not shared with bob
    assert logged_in(charlie).get(f"/attachments/{attachment.pk}/thumbnail").status_code == 404
    assert client.get(url).status_code == 302  # to the login page
    soft_delete(record, alice)
    assert logged_in(alice).get(url).status_code == 404  # a deleted record hides its files


def soft_delete(record, user) -> None:
    """What soft deletion does to a record, enough for the policy to hide it."""
    record.deleted_at = record.started_at
    record.deleted_by = user
    record.save(update_fields=["deleted_at", "deleted_by"])


def test_a_thumbnail_is_served_once_it_is_ready(alice_client, record, alice):
    attachment = attach(record, alice, "a.png", png((800, 600)))
    url = f"/attachments/{attachment.pk}/thumbnail"
    assert alice_client.get(url).status_code == 404  # still pending

    services.thumbnail_make(attachment_id=attachment.pk)
    response = alice_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    thumbnail = Image.open(io.BytesIO(body_of(response)))
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (400, 300)


def test_files_stay_downloadable_after_the_run_ends(alice_client, record, alice):
    attachment = attach(record, alice, "a.png", png())
    execution_services.execution_complete(record=record, user=alice)

    assert alice_client.get(f"/attachments/{attachment.pk}/download").status_code == 200


def test_a_file_kept_on_the_other_backend_is_a_404_not_a_wrong_read(
    alice_client, record, alice, attachment_root
):
    attachment = attach(record, alice, "notes.txt", b"the real file")
    Attachment.objects.filter(pk=attachment.pk).update(storage_type="s3")
    for url in (f"/attachments/{attachment.pk}/download",
                f"/api/v1/attachments/{attachment.pk}/download"):  # fmt: skip
        assert alice_client.get(url).status_code == 404
