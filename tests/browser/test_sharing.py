from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sharing.models import Share
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def open_share_dialog(page):
    page.locator(".action-bar").get_by_role("link", name="Share").click()
    dialog = page.locator("#share-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_alice_shares_with_bob_who_then_reads_the_record(page, live_server, alice, bob, record):
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    expect(page.locator("#access-fact")).to_contain_text("Private")
    page.get_by_label("Notes", exact=True).fill("typed, not saved yet")

    dialog = open_share_dialog(page)
    expect(dialog.get_by_role("radio", name="Private")).to_be_checked()
    people = dialog.get_by_role("combobox", name="People")
    people.fill("bo")
    dialog.get_by_role("option", name="bob").click()
    # Picking someone chooses Shared; the pick is a chip with a remove button.
    expect(dialog.get_by_role("radio", name="Shared")).to_be_checked()
    expect(dialog.get_by_role("button", name="Remove bob")).to_be_visible()
    expect(people).to_have_value("")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#access-fact")).to_contain_text("Shared")
    expect(page.locator("#access-fact")).to_contain_text("with bob")
    expect(page.locator("#timeline")).to_contain_text("alice shared the record with bob")
    expect(page.locator("#messages")).to_contain_text("Shared with bob, read-only.")
    # No reload: the unsaved notes are still on screen.
    expect(page.get_by_label("Notes", exact=True)).to_have_value("typed, not saved yet")
    assert Share.objects.filter(record=record, user=bob).exists()

    page.context.clear_cookies()
    log_in(page, live_server, "bob")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    expect(page.locator(".banner")).to_contain_text("Shared with you by alice · read-only")
    expect(page.locator("#info")).to_contain_text(record.title)
    expect(page.locator("#timeline")).to_contain_text("alice shared the record with bob")
    for name in ("Share", "Save Draft", "Complete", "Mark as Failed"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="Share")).to_have_count(0)
    expect(page.locator("textarea")).to_have_count(0)


def test_the_group_picker_works_from_the_keyboard(page, live_server, alice, sre, record):
    from django.contrib.auth.models import Group

    Group.objects.create(name="ops-oncall")
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    dialog = open_share_dialog(page)
    groups = dialog.get_by_role("combobox", name="Groups")
    groups.fill("s")  # matches ops-oncall and sre, in that order
    expect(dialog.get_by_role("option")).to_have_count(2)
    groups.press("ArrowDown")
    expect(dialog.get_by_role("option", name="sre")).to_have_attribute("aria-selected", "true")
    groups.press("Enter")  # picks, does not submit
    expect(dialog.get_by_role("button", name="Remove sre")).to_be_visible()
    expect(dialog).to_be_visible()
    groups.fill("zzz")
    expect(dialog.locator("#share-groups-suggestions")).to_contain_text("No group matches")
    groups.press("Escape")  # closes the suggestions, not the dialog
    expect(dialog.locator("#share-groups-suggestions")).to_be_empty()
    expect(dialog).to_be_visible()
    groups.fill("")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#access-fact")).to_contain_text("with group sre")


def test_cancel_forgets_unsaved_changes_and_refusals_keep_the_dialog_open(
    page, live_server, alice, bob, record
):
    from sharing.services import share_set

    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    dialog = open_share_dialog(page)
    dialog.get_by_role("button", name="Remove bob").click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    dialog = open_share_dialog(page)
    expect(dialog.get_by_role("button", name="Remove bob")).to_be_visible()

    dialog.get_by_role("combobox", name="People").fill("nobody")
    expect(dialog.locator("#share-users-suggestions")).to_contain_text("No one matches")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("No such user: nobody.")
    expect(dialog).to_be_visible()
    assert list(record.shares.values_list("user__username", flat=True)) == ["bob"]
