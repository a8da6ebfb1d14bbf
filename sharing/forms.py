"""Parsing the Share form: the chosen chips plus names typed without picking a suggestion."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import QueryDict

from sharing.services import clean_names

# Usernames cannot contain spaces or commas; group names can contain spaces, not commas.
USERNAMES = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class ShareInput:
    """What the Share form posted, shaped like ``Sharing`` so the form can show it again."""

    access_scope: str
    users: list[str]
    groups: list[str]


def parse_share_form(data: QueryDict) -> ShareInput:
    users = [*data.getlist("users"), *USERNAMES.split(data.get("add_users", ""))]
    groups = [*data.getlist("groups"), *data.get("add_groups", "").split(",")]
    return ShareInput(
        access_scope=data.get("access_scope", ""),
        users=clean_names(users),
        groups=clean_names(groups),
    )
