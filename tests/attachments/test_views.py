"""Evidence on the execution page: what each person sees, uploads with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from attachments import services
from attachments.models import Attachment
from executions import services as execution_services
from sharing.models import Share
from tests.attachments.files import png, stored_files
from tests.attachments.test_downloads import attach
from tests.conftest import logged_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def upload_url(record) -> str:
    return f"/executions/{record.pk}/attachments/"


def page_of(client, record) -> str:
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def share_with_bob(record, bob) -> None:
    record.access_scope = "shared"
    record.save(update_fields=["access_scope"])
    Share.objects.create(record=record, user=bob)


# ---- what the page shows ---------------------------------------------------------------------


def test_the_current_step_has_the_drop_zone_and_the_others_a_plus_tile(alice_client, record):
    html = page_of(alice_client, record)

    assert html.count("Drop files or paste a screenshot") == 1
    assert "up to 1 GiB each" in html
    assert '<div class="evidence has-dropzone" data-evidence="1">' in html
    assert '<div class="evidence" data-evidence="2">' in html
    assert "Attach files to step 2" in html
    assert 'id="ev-upload-3"' in html  # the plain form that works without JavaScript
    assert 'enctype="multipart/form-data"' in html
    assert "js/evidence.js" in html


def test_thumbnails_open_the_full_image_and_pending_ones_poll(alice_client, record, alice):
    ready = attach(record, alice, "ready.png", png(), step=1)
    services.thumbnail_make(attachment_id=ready.pk)
    pending = attach(record, alice, "pending.png", png(), step=1)
    log = attach(record, alice, "nginx.log", b"reloaded\n", step=2)

    html = page_of(alice_client, record)

    assert f'href="/attachments/{ready.pk}/download"' in html
    assert f'src="/attachments/{ready.pk}/thumbnail"' in html
    assert f'hx-get="/attachments/{pending.pk}/tile?poll=0"' in html
    assert f'id="ev-tile-{log.pk}"' in html
    assert 'class="ev-tile-name">nginx.log<' in html
    assert f'formaction="/attachments/{ready.pk}/delete/"' in html


def test_record_level_files_show_in_the_execution_info_card(alice_client, record, alice):
    ticket = attach(record, alice, "CHG-20418.pdf", b"%PDF-1.4")

    html = page_of(alice_client, record)

    info = html[html.index('id="info"') : html.index('id="steps-title"')]
    assert f'id="ev-tile-{ticket.pk}"' in info
    assert "Attach files to the record" in info


def test_a_viewer_sees_the_evidence_but_no_controls(record, alice, bob):
    attachment = attach(record, alice, "shot.png", png(), step=1)
    share_with_bob(record, bob)

    html = page_of(logged_in(bob), record)

    assert f'id="ev-tile-{attachment.pk}"' in html
    assert "ev-tile-delete" not in html
    assert "data-evidence-input" not in html
    assert "Drop files" not in html
    assert 'id="upload-forms"' not in html


def test_evidence_is_locked_once_the_run_is_finished(alice_client, record, alice):
    attach(record, alice, "shot.png", png(), step=1)
    execution_services.execution_complete(record=record, user=alice)

    html = page_of(alice_client, record)

    assert "ev-tile-delete" not in html
    assert "Drop files" not in html
    assert "data-evidence-input" not in html


def test_the_page_has_no_inline_script(alice_client, record, alice):
    attach(record, alice, "shot.png", png(), step=1)
    html = page_of(alice_client, record)

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag
    assert not re.search(r"\son[a-z]+=", html)
    assert "style=" not in html


@pytest.mark.parametrize("count", [3, 60])
def test_the_page_costs_the_same_queries_with_many_attachments(
    record, alice, count, django_assert_num_queries
):
    Attachment.objects.bulk_create(
        Attachment(
            record=record, step_number=n % 3 + 1 if n % 5 else None, file_name=f"f{n}.png",
            size=1, mime_type="image/png", sha256="0" * 64, storage_type="local",
            storage_key=f"{record.pk}/{n}", uploaded_by=alice, thumbnail_status="ready",
        )
        for n in range(count)
    )  # fmt: skip
    client = logged_in(alice)
    client.get(record.get_absolute_url())

    with django_assert_num_queries(6):
        html = client.get(record.get_absolute_url()).content.decode()

    assert html.count('class="ev-tile ') == count


# ---- uploading from the page -----------------------------------------------------------------


def test_without_javascript_the_form_uploads_and_comes_back_to_the_step(alice_client, record):
    response = alice_client.post(
        upload_url(record), {"step": "2", "file": [SimpleUploadedFile("a.png", png())]}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{record.get_absolute_url()}#ev-step-2"
    assert Attachment.objects.get().step_number == 2
    assert "Attached a.png." in page_of(alice_client, record)


def test_the_script_gets_the_steps_gallery_and_timeline_back(alice_client, record):
    response = alice_client.post(
        upload_url(record), {"step": "3", "file": [SimpleUploadedFile("b.png", png())]}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="ev-gallery" id="ev-gallery-3" hx-swap-oob="true">' in html
    assert 'id="timeline"' in html
    assert "attached <strong>b.png</strong> to step 3" in html


def test_uploads_need_the_csrf_token(record, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(record.get_absolute_url())
    token = page.cookies["csrftoken"].value
    data = {"file": [SimpleUploadedFile("a.png", png())]}

    assert client.post(upload_url(record), data).status_code == 403
    data = {"file": [SimpleUploadedFile("a.png", png())]}
    assert client.post(upload_url(record), data, HTTP_X_CSRFTOKEN=token, **HTMX).status_code == 200


def test_page_upload_refusals(record, alice, bob, charlie, settings, attachment_root):
    share_with_bob(record, bob)

    def send(client, content=b"x", **extra):
        return client.post(
            upload_url(record), {"file": [SimpleUploadedFile("a.txt", content)]}, **extra
        )

    assert send(logged_in(bob)).status_code == 403
    assert send(logged_in(charlie)).status_code == 404
    settings.ATTACHMENT_MAX_BYTES = 10
    too_large = send(logged_in(alice), b"x" * 11, **HTMX)
    assert too_large.status_code == 413
    assert too_large.json() == {"detail": "a.txt is larger than the limit of 10 bytes."}
    execution_services.execution_complete(record=record, user=alice)
    finished = send(logged_in(alice), **HTMX)
    assert finished.status_code == 409
    assert "locked" in finished.json()["detail"]
    without_js = send(logged_in(alice))
    assert without_js.status_code == 409
    assert "Back to" in without_js.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


# ---- tiles and deleting ----------------------------------------------------------------------


def test_a_pending_tile_keeps_polling_until_ready_then_shows_the_thumbnail(
    alice_client, record, alice
):
    attachment = attach(record, alice, "a.png", png(), step=1)
    url = f"/attachments/{attachment.pk}/tile"

    pending = alice_client.get(url, {"poll": "3"}, **HTMX).content.decode()
    assert f'hx-get="{url}?poll=4"' in pending
    given_up = alice_client.get(url, {"poll": "59"}, **HTMX).content.decode()
    assert "hx-get" not in given_up

    services.thumbnail_make(attachment_id=attachment.pk)
    ready = alice_client.get(url, {"poll": "4"}, **HTMX).content.decode()
    assert "hx-get" not in ready
    assert f'src="/attachments/{attachment.pk}/thumbnail"' in ready


def test_deleting_from_the_page(alice_client, record, alice):
    first = attach(record, alice, "a.png", png(), step=1)
    second = attach(record, alice, "b.png", png(), step=1)

    response = alice_client.post(f"/attachments/{first.pk}/delete/", **HTMX)

    html = response.content.decode()
    assert f'id="ev-tile-{second.pk}"' in html
    assert f'id="ev-tile-{first.pk}"' not in html
    assert "deleted <strong>a.png</strong> from step 1" in html
    redirect = alice_client.post(f"/attachments/{second.pk}/delete/")
    assert redirect["Location"] == f"{record.get_absolute_url()}#ev-step-1"
    assert Attachment.objects.count() == 0


def test_deleting_from_the_page_is_refused_to_viewers_and_on_finished_runs(record, alice, bob):
    attachment = attach(record, alice, "a.png", png(), step=1)
    share_with_bob(record, bob)

    assert logged_in(bob).post(f"/attachments/{attachment.pk}/delete/").status_code == 403
    execution_services.execution_complete(record=record, user=alice)
    assert logged_in(alice).post(f"/attachments/{attachment.pk}/delete/").status_code == 409
    assert Attachment.objects.count() == 1
