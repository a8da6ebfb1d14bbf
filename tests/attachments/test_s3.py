"""Attachments on S3, through moto's real HTTP server: keys, types, pre-signed links."""

from __future__ import annotations

import hashlib
import io
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from attachments import services
from attachments.models import Attachment
from attachments.purge import attachments_purge
from tests.attachments.files import SCRIPTED_SVG, multipart, png
from tests.attachments.test_purge import deleted

BUCKET = "opscore-test"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}  # moto accepts any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, settings: Any) -> Any:
    """Attachment storage switched to S3 (moto), with a fresh bucket."""
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "attachments.storage.AttachmentS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "region_name": "us-east-1",
                **CREDENTIALS,
                "location": "attachments",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
                "addressing_style": "path",
            },
        },
    }
    settings.S3_PRESIGNED_URL_TTL = 120
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def fetch(url: str) -> tuple[bytes, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our moto server)
        return response.read(), response.headers


def upload(api, record, header: str, content: bytes, claimed: str) -> Any:
    body, content_type = multipart([(header, content, claimed)])
    return api.post(f"/api/v1/executions/{record.pk}/attachments/", body, content_type=content_type)


def test_uploads_go_to_s3_under_ids_with_the_servers_content_type(api, record, s3):
    content = png()
    response = upload(api, record, 'filename="../../evil.html"', content, "text/html")

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.storage_type == "s3"
    key = f"attachments/{record.pk}/{attachment.pk}"
    assert keys(s3) == [key]
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "image/png"  # the client claimed text/html
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == attachment.sha256


def test_a_download_is_a_redirect_to_a_short_lived_presigned_url(api, record, s3):
    content = png()
    upload(api, record, 'filename="graph.png"', content, "image/png")
    attachment = Attachment.objects.get()

    response = api.get(f"/api/v1/attachments/{attachment.pk}/download")

    assert response.status_code == 302
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["response-content-type"] == ["image/png"]
    assert query["response-content-disposition"][0].startswith('inline; filename="graph.png"')
    body, headers = fetch(url)
    assert body == content
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith('inline; filename="graph.png"')


def test_an_svg_from_s3_downloads_as_an_opaque_attachment(api, record, s3):
    upload(api, record, 'filename="logo.svg"', SCRIPTED_SVG, "image/svg+xml")
    attachment = Attachment.objects.get()

    response = api.get(f"/attachments/{attachment.pk}/download")
    body, headers = fetch(response["Location"])

    assert body == SCRIPTED_SVG
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith('attachment; filename="logo.svg"')


def test_thumbnails_are_made_from_s3_and_stored_beside_the_original(api, record, s3):
    upload(api, record, 'filename="big.png"', png((1200, 800)), "image/png")
    attachment = Attachment.objects.get()

    assert services.thumbnail_make(attachment_id=attachment.pk) == "ready"

    attachment.refresh_from_db()
    thumb_key = f"attachments/{record.pk}/{attachment.pk}.thumb.webp"
    assert keys(s3) == [f"attachments/{record.pk}/{attachment.pk}", thumb_key]
    assert s3.head_object(Bucket=BUCKET, Key=thumb_key)["ContentType"] == "image/webp"
    redirect = api.get(f"/api/v1/attachments/{attachment.pk}/thumbnail")
    body, _ = fetch(redirect["Location"])
    assert Image.open(io.BytesIO(body)).size == (400, 267)


def test_deleting_removes_the_objects_after_commit(
    api, record, s3, django_capture_on_commit_callbacks
):
    upload(api, record, 'filename="a.png"', png(), "image/png")
    attachment = Attachment.objects.get()
    services.thumbnail_make(attachment_id=attachment.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/attachments/{attachment.pk}/").status_code == 204
        assert len(keys(s3)) == 2  # still there until the deletion commits

    assert keys(s3) == []


def test_an_unreachable_bucket_fails_the_upload_cleanly(api, record, s3, settings):
    settings.STORAGES["attachments"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    settings.STORAGES = dict(settings.STORAGES)

    response = upload(api, record, 'filename="a.png"', png(), "image/png")

    assert response.status_code == 503
    assert Attachment.objects.count() == 0


def test_the_purge_deletes_originals_and_thumbnails_from_s3(api, record, s3, alice):
    upload(api, record, 'filename="graph.png"', png((1200, 800)), "image/png")
    upload(api, record, 'filename="deploy.log"', b"restarted\n", "text/plain")
    image = Attachment.objects.get(file_name="graph.png")
    services.thumbnail_make(attachment_id=image.pk)
    stray = f"attachments/{record.pk}/{image.pk}.thumb.webp.tmp"  # an interrupted attempt's
    s3.put_object(Bucket=BUCKET, Key=stray, Body=b"RIFF")
    assert len(keys(s3)) == 4
    deleted(record, alice)

    report = attachments_purge()

    assert (report.records, report.files, report.leftovers, report.failure_count) == (1, 2, 1, 0)
    assert keys(s3) == []
    assert not Attachment.objects.filter(purged_at__isnull=True).exists()
    record.refresh_from_db()
    assert record.purged_at is not None
    assert attachments_purge().records == 0  # and again: nothing left, nothing to do
