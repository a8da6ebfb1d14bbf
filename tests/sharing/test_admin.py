"""Shares in the admin: administrators look; changes go through the Share dialog and the API."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from sharing.models import Share
from tests.conftest import logged_in


def test_administrators_see_who_can_read_what_and_change_nothing(admin_client, shared_record):
    listing = admin_client.get("/admin/sharing/share/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert shared_record.title in text and "auditors" in text and "bob" in text

    share = Share.objects.filter(record=shared_record).first()
    assert admin_client.get(f"/admin/sharing/share/{share.pk}/change/").status_code == 200
    assert admin_client.get("/admin/sharing/share/add/").status_code == 403
    assert admin_client.get(f"/admin/sharing/share/{share.pk}/delete/").status_code == 403
    changed = admin_client.post(f"/admin/sharing/share/{share.pk}/change/", {"record": ""})
    assert changed.status_code == 403
    assert Share.objects.filter(record=shared_record).count() == 3

    record_page = admin_client.get(f"/admin/executions/executionrecord/{shared_record.pk}/change/")
    assert record_page.status_code == 200
    assert "auditors" in record_page.content.decode()


def test_staff_without_the_view_all_permission_do_not_see_shares(make_user, shared_record):
    staff = make_user("sam", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_share"))
    client = logged_in(staff)
    assert client.get("/admin/sharing/share/").status_code == 403
