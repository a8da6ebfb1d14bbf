from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from executions.models import ExecutionRecord
from sharing.models import Share
from sharing.services import share_set
from tests.conftest import logged_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(record: ExecutionRecord) -> str:
    return reverse("executions:detail", args=[record.pk])


def share_url(record: ExecutionRecord) -> str:
    return reverse("sharing:edit", args=[record.pk])


def suggest_url(record: ExecutionRecord, kind: str) -> str:
    return reverse("sharing:suggest", args=[record.pk, kind])


def queries_for(client: Client, url: str) -> int:
    """How many queries a successful GET of ``url`` costs."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# ---- the execution page ---------------------------------------------------------------------


def test_the_executor_gets_a_share_button_that_fills_the_dialog(alice_client, record):
    html = alice_client.get(page(record)).content.decode()
    assert (
        f'<a class="btn" href="{share_url(record)}" hx-get="{share_url(record)}" '
        'hx-target="#share-dialog"'
    ) in html
    assert '<dialog class="dialog share-dialog" id="share-dialog"' in html
    assert "js/sharing.js" in html
    assert 'id="access-fact"' in html and "Private" in html
    dialog = alice_client.get(share_url(record), **HTMX).content.decode()
    assert dialog.lstrip().startswith('<form id="share-form"')
    assert f'hx-post="{share_url(record)}"' in dialog
    assert 'value="private" checked' in dialog
    assert 'data-close-dialog aria-label="Close"' in dialog


def test_the_access_fact_says_with_whom_it_is_shared(alice_client, shared_record):
    html = alice_client.get(page(shared_record)).content.decode()
    assert 'title="Shared with bob, ivan, group auditors"' in html
    assert "with bob, ivan, group auditors</span>" in html


def test_the_dialog_opens_on_the_saved_state(alice_client, shared_record):
    html = alice_client.get(share_url(shared_record), **HTMX).content.decode()
    assert 'value="shared" checked' in html
    for kind, name in (("users", "bob"), ("users", "ivan"), ("groups", "auditors")):
        assert f'name="{kind}" value="{name}"' in html
    assert 'aria-label="Remove bob"' in html


def test_the_page_pays_one_query_for_its_shares_and_only_when_shared(alice, bob, record):
    client = logged_in(alice)
    client.get(page(record))
    private = queries_for(client, page(record))
    share_set(record=record, user=alice, access_scope="shared", usernames=["bob"])
    assert queries_for(client, page(record)) == private + 1


@pytest.mark.parametrize("viewer", ["bob", "gina"])
def test_viewers_read_the_page_with_the_banner_and_no_controls(shared_record, viewer, request):
    html = logged_in(request.getfixturevalue(viewer)).get(page(shared_record)).content.decode()
    assert "<strong>Shared with you by alice</strong> · read-only" in html
    controls = ('id="share-dialog"', "Share</a>", "Save Draft", "Complete</button>",
                "Mark as Failed", "Mark done", 'name="notes"', "<textarea", "Add step")  # fmt: skip
    for control in controls:
        assert control not in html
    assert "started the execution" in html  # the timeline


def test_administrators_are_told_they_view_as_administrator(record, admin_client, vera):
    for client in (admin_client, logged_in(vera)):
        html = client.get(page(record)).content.decode()
        assert "<strong>Viewing as administrator: alice's record</strong> · read-only" in html
        assert 'id="share-dialog"' not in html


def test_an_administrator_it_is_shared_with_sees_the_shared_banner(record, alice, vera):
    share_set(record=record, user=alice, access_scope="shared", usernames=["vera"])
    html = logged_in(vera).get(page(record)).content.decode()
    assert "Shared with you by alice" in html


@pytest.mark.parametrize("viewer", ["bob", "gina"])
def test_the_viewers_page_costs_the_same_however_widely_it_is_shared(
    shared_record, alice, viewer, request, make_user
):
    user = request.getfixturevalue(viewer)
    client = logged_in(user)
    client.get(page(shared_record))
    few = queries_for(client, page(shared_record))
    more = [make_user(f"reader{n}").username for n in range(6)]
    groups = [Group.objects.create(name=f"team{n}").name for n in range(3)]
    share_set(record=shared_record, user=alice, access_scope="shared",
              usernames=["bob", *more], group_names=["auditors", *groups])  # fmt: skip
    assert queries_for(client, page(shared_record)) == few


# ---- saving from the dialog (htmx) ----------------------------------------------------------


def test_saving_the_dialog_updates_the_access_fact_and_timeline_in_place(
    alice_client, record, bob, sre
):
    response = alice_client.post(
        share_url(record),
        {"access_scope": "shared", "users": ["bob"], "add_groups": "sre", "add_users": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "sharing-saved"
    html = response.content.decode()
    assert '<form id="share-form"' in html  # the dialog's form, fresh
    assert 'name="groups" value="sre"' in html
    assert 'id="access-fact" hx-swap-oob="true"' in html and "with bob, group sre" in html
    assert 'aria-labelledby="timeline-title" hx-swap-oob="true"' in html
    assert "shared the record with bob, group sre" in html
    assert 'id="messages" hx-swap-oob="beforeend"' in html
    assert "Shared with bob, group sre, read-only." in html
    assert "<html" not in html
    assert set(Share.objects.values_list("user__username", "group__name")) == {
        ("bob", None),
        (None, "sre"),
    }


def test_a_refused_save_keeps_the_dialog_open_with_what_was_chosen(alice_client, record, bob):
    response = alice_client.post(
        share_url(record),
        {"access_scope": "shared", "users": ["bob"], "add_users": "zed", "add_groups": "ops"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "HX-Trigger" not in response
    html = response.content.decode()
    assert "No such user: zed." in html
    assert "No such group: ops." in html
    assert 'name="users" value="bob"' in html and 'name="users" value="zed"' in html
    assert 'value="shared" checked' in html
    assert not Share.objects.exists()


def test_shared_with_no_one_is_explained(alice_client, record):
    response = alice_client.post(share_url(record), {"access_scope": "shared"}, **HTMX)
    assert response.status_code == 400
    assert "Choose at least one person or group" in response.content.decode()


def test_choosing_private_revokes_everything(alice_client, shared_record):
    response = alice_client.post(
        share_url(shared_record), {"access_scope": "private", "users": ["bob"]}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This record is private" in html
    assert "stopped sharing with bob, ivan, group auditors" in html
    assert not shared_record.shares.exists()


# ---- the plain share page (no JavaScript) ---------------------------------------------------


def test_without_javascript_the_share_page_holds_the_same_form(alice_client, shared_record):
    response = alice_client.get(share_url(shared_record))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and f'action="{share_url(shared_record)}"' in html
    assert "hx-post" not in html
    assert 'type="checkbox" name="users" value="bob"' in html
    assert '<label for="share-users-input">People</label>' in html
    assert '<label for="share-groups-input">Groups</label>' in html
    assert "Add people by username, separated by commas." in html
    assert f'<a class="btn" href="{page(shared_record)}">Cancel</a>' in html


def test_without_javascript_typed_names_are_added_and_unticked_ones_removed(
    alice_client, shared_record, charlie, sre
):
    response = alice_client.post(
        share_url(shared_record),
        # bob and ivan unticked (not sent); names typed with commas and spaces
        {"access_scope": "shared", "groups": ["auditors"], "add_users": "charlie, ",
         "add_groups": "sre"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == page(shared_record)
    assert set(shared_record.shares.values_list("user__username", "group__name")) == {
        (None, "auditors"),
        (None, "sre"),
        ("charlie", None),
    }
    html = alice_client.get(response["Location"]).content.decode()
    assert "Shared with charlie, group auditors, group sre, read-only." in html


def test_without_javascript_a_refusal_shows_the_page_again_with_the_input(alice_client, record):
    response = alice_client.post(
        share_url(record), {"access_scope": "shared", "add_users": "zed yan"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html
    assert "No such user: zed, yan." in html
    assert 'name="users" value="zed"' in html and 'name="users" value="yan"' in html


# ---- suggestions ----------------------------------------------------------------------------


def test_people_are_suggested_by_username_or_name(alice_client, record, bob, gina, ivan):
    ivan.is_active = False
    ivan.save()
    html = alice_client.get(suggest_url(record, "users"), {"add_users": "mor"}).content.decode()
    assert 'data-value="gina"' in html and "Gina Moreau" in html
    html = alice_client.get(suggest_url(record, "users"), {"add_users": "i"}).content.decode()
    assert 'data-value="gina"' in html
    assert 'data-value="ivan"' not in html  # deactivated
    assert 'data-value="alice"' not in html  # the executor sees it anyway
    assert 'role="option"' in html and "↵ to add" in html


def test_suggestions_leave_out_those_already_chosen(alice_client, record, bob, gina):
    response = alice_client.get(suggest_url(record, "users"), {"add_users": "b", "users": "bob"})
    assert 'data-value="bob"' not in response.content.decode()
    response = alice_client.get(suggest_url(record, "users"), {"add_users": "nobody"})
    assert "No one matches “nobody”." in response.content.decode()


def test_groups_are_suggested_with_their_active_members(alice_client, record, sre, auditors):
    sre.user_set.add(auditors.user_set.get())
    html = alice_client.get(suggest_url(record, "groups"), {"add_groups": "r"}).content.decode()
    assert 'data-value="sre"' in html and "2 members" in html
    assert 'data-value="auditors"' in html and "1 member<" in html
    html = alice_client.get(
        suggest_url(record, "groups"), {"add_groups": "r", "groups": "sre"}
    ).content.decode()
    assert 'data-value="sre"' not in html


def test_an_empty_query_suggests_nothing_and_an_unknown_picker_is_404(alice_client, record):
    response = alice_client.get(suggest_url(record, "users"), {"add_users": "  "})
    assert (response.status_code, response.content) == (200, b"")
    assert alice_client.get(suggest_url(record, "robots") + "?add_robots=a").status_code == 404


def test_suggestions_are_only_for_the_executor(shared_record, bob_client, charlie_client):
    url = suggest_url(shared_record, "users") + "?add_users=a"
    assert bob_client.get(url).status_code == 403
    assert charlie_client.get(url).status_code == 404


# ---- lists ----------------------------------------------------------------------------------


def test_the_list_query_count_does_not_grow_with_shares(alice, make_record, make_user):
    reader = make_user("reader")
    team = Group.objects.create(name="team")
    team.user_set.add(reader)
    client = logged_in(reader)
    listing = reverse("executions:list")

    record = make_record()
    share_set(record=record, user=alice, access_scope="shared", usernames=["reader"],
              group_names=["team"])  # fmt: skip
    few = queries_for(client, listing)
    for n in range(5):
        more = make_record()
        others = [make_user(f"other{n}-{i}").username for i in range(3)]
        share_set(record=more, user=alice, access_scope="shared",
                  usernames=["reader", *others], group_names=["team"])  # fmt: skip
    assert queries_for(client, listing) == few
