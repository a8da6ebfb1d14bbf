"""Administrators see attachments in the admin, read-only."""

from __future__ import annotations

from tests.attachments.files import png
from tests.attachments.test_downloads import attach


def test_the_admin_lists_attachments_read_only(admin_client, record, alice):
    attachment = attach(record, alice, "lb.png", png(), step=1)

    listing = admin_client.get("/admin/attachments/attachment/")
    detail = admin_client.get(f"/admin/attachments/attachment/{attachment.pk}/change/")

    assert listing.status_code == 200
    assert "lb.png" in listing.content.decode()
    assert detail.status_code == 200
    assert f'href="/attachments/{attachment.pk}/download"' in detail.content.decode()
    assert admin_client.get("/admin/attachments/attachment/add/").status_code == 403
    delete = admin_client.get(f"/admin/attachments/attachment/{attachment.pk}/delete/")
    assert delete.status_code == 403
