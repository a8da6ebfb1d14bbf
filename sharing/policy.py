"""The one access policy (SPEC section 6). Every page, endpoint, file and query uses it.

``visible_to(user)`` is a queryset built from EXISTS subqueries, so it never duplicates rows and
needs no DISTINCT; ``can_edit(user, record)`` says who may change a record: its executor.
A record a user may not see answers 404; one they see but may not change answers 403.
Inactive and anonymous users see nothing, whatever is shared with them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models import Exists, ManyToManyField, OuterRef, Q, QuerySet
from django.http import Http404

from executions.models import ExecutionRecord
from executions.search_sql import SharedWithAny
from sharing.models import Share

VIEW_ALL_PERMISSION = "executions.view_all_executionrecord"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
NOTHING = Q(pk__in=[])


def is_active_user(user: Any) -> bool:
    """A logged-in, active account: the only kind the policy grants anything to."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


FEW_SHARES = 1000  # see VisibleParts.shared


def is_administrator(user: Any) -> bool:
    """Superusers and holders of the view-all permission (directly or through a group)."""
    if not is_active_user(user):
        return False
    return bool(user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION))


def shared_with(user: Any, record_field: str = "pk") -> Q:
    """Records shared with ``user`` directly or through one of their groups.

    A filter to narrow ``visible_to(user)`` (the search's ``scope=shared``), never a grant on
    its own: it ignores deletion. ``record_field`` names the record in the filtered model,
    e.g. ``shared_with(user, "record")`` on a queryset of attachments.
    """
    if not is_active_user(user):
        return NOTHING
    record = OuterRef(record_field)
    direct = Share.objects.filter(record=record, user=user)
    # Straight from the membership table: no join through auth_group, so the (group, record)
    # index answers it. Evaluated per query, so leaving a group takes effect at once.
    memberships = get_user_model().groups.through.objects.filter(user_id=user.pk)
    through_group = Share.objects.filter(record=record, group_id__in=memberships.values("group_id"))
    return Q(Exists(direct)) | Q(Exists(through_group))


def _alive(queryset: QuerySet[ExecutionRecord] | None) -> QuerySet[ExecutionRecord]:
    records = queryset if queryset is not None else ExecutionRecord.objects.all()
    return records.filter(deleted_at__isnull=True)


def _own_or_shared(user: Any) -> Q:
    return Q(executor=user) | shared_with(user)


def visible_to(
    user: Any, queryset: QuerySet[ExecutionRecord] | None = None
) -> QuerySet[ExecutionRecord]:
    """The records ``user`` may see: never deleted ones, nothing for inactive users."""
    records = _alive(queryset)
    if not is_active_user(user):
        return records.none()
    if is_administrator(user):
        return records
    return records.filter(_own_or_shared(user))


def can_edit(user: Any, record: ExecutionRecord) -> bool:
    """Only the executor changes a record; administrators act through the admin."""
    return is_active_user(user) and record.deleted_at is None and record.executor_id == user.pk


def get_visible_record(
    user: Any, pk: Any, queryset: QuerySet[ExecutionRecord] | None = None
) -> ExecutionRecord:
    """The record if ``user`` may see it; Http404 otherwise (its existence is not revealed).

    Same rule as ``visible_to``, ordered so the common case (one's own or a shared record)
    needs no permission lookup.
    """
    if not is_active_user(user):
        raise Http404("No such execution record.")
    records = _alive(queryset)
    try:
        try:
            return records.filter(_own_or_shared(user)).get(pk=pk)
        except ExecutionRecord.DoesNotExist:
            if is_administrator(user):
                return records.get(pk=pk)
            raise
    except (ExecutionRecord.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such execution record.") from None


def get_editable_record(
    user: Any, pk: Any, queryset: QuerySet[ExecutionRecord] | None = None
) -> ExecutionRecord:
    """The record if ``user`` may change it: 404 when invisible, 403 when read-only."""
    record = get_visible_record(user, pk, queryset)
    if not can_edit(user, record):
        raise PermissionDenied("You can view this record but only its executor can change it.")
    return record


@dataclass(frozen=True)
class Standing:
    """What the search must know of a user before it reads a record (``standing``)."""

    administrator: bool
    groups: tuple[int, ...] | None = ()  # None: not read (a superuser's; VisibleParts.groups)
    many_shares: bool = False  # more than FEW_SHARES shares reach them (counted on PostgreSQL)


def standing(user: Any) -> Standing:
    """``is_administrator(user)``, the user's groups and whether many shares reach them.

    One query on PostgreSQL (none for a superuser) where the permission check, the groups and
    the count of shares took four. The administrator test is ModelBackend's own (the view-all
    permission held directly or through a group); with other authentication backends, or on
    SQLite, it asks them through ``is_administrator``.
    """
    if not is_active_user(user):
        return Standing(administrator=False)
    if user.is_superuser:
        return Standing(administrator=True, groups=None)
    connection = connections[ExecutionRecord.objects.db]
    if settings.AUTHENTICATION_BACKENDS != [MODEL_BACKEND] or connection.vendor != "postgresql":
        return Standing(administrator=is_administrator(user), groups=_group_ids(user))
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    params = {"user": user.pk, "app_label": app_label, "codename": codename,
              "cap": FEW_SHARES + 1}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_standing_sql(), params)
        administrator, groups, direct_shares, group_shares = cursor.fetchone()
    return Standing(
        administrator=administrator,
        groups=tuple(groups),
        many_shares=direct_shares + group_shares > FEW_SHARES,
    )


def _group_ids(user: Any) -> tuple[int, ...]:
    """Straight from the membership table, no join through auth_group."""
    memberships = get_user_model().groups.through.objects.filter(user_id=user.pk)
    return tuple(memberships.values_list("group_id", flat=True))


@functools.cache
def _standing_sql() -> str:
    """``standing``'s statement. Written out because building it with the ORM (five subqueries)
    cost several times what PostgreSQL takes to run it, on every search. Names come from the
    models' metadata, values are parameters; the agreement with ``is_administrator`` and the
    groups is held by tests/sharing/test_policy.py."""
    user_model = get_user_model()
    name = connections[ExecutionRecord.objects.db].ops.quote_name
    memberships = cast(ManyToManyField, user_model._meta.get_field("groups"))
    direct_perms = cast(ManyToManyField, user_model._meta.get_field("user_permissions"))
    group_perms = cast(ManyToManyField, Group._meta.get_field("permissions"))
    t = {
        "member": name(memberships.m2m_db_table()),
        "member_user": name(memberships.m2m_column_name()),
        "member_group": name(memberships.m2m_reverse_name()),
        "direct": name(direct_perms.m2m_db_table()),
        "direct_user": name(direct_perms.m2m_column_name()),
        "direct_perm": name(direct_perms.m2m_reverse_name()),
        "grant": name(group_perms.m2m_db_table()),
        "grant_group": name(group_perms.m2m_column_name()),
        "grant_perm": name(group_perms.m2m_reverse_name()),
        "permission": name(Permission._meta.db_table),
        "content_type": name(ContentType._meta.db_table),
        "share": name(Share._meta.db_table),
        "share_user": name(Share._meta.get_field("user").column),
        "share_group": name(Share._meta.get_field("group").column),
    }
    t["view_all"] = _VIEW_ALL.format(**t)
    return _STANDING_SQL.format(**t)


# {names} are quoted names from the models' metadata; values are %(parameters)s. Direct shares
# and group shares are counted apart: each count reads its own index.
_VIEW_ALL = (
    "SELECT p.id FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id "
    "WHERE p.codename = %(codename)s AND ct.app_label = %(app_label)s"
)
_STANDING_SQL = """
SELECT
    EXISTS (SELECT 1 FROM {direct} d
            WHERE d.{direct_user} = %(user)s AND d.{direct_perm} IN ({view_all}))
    OR EXISTS (SELECT 1 FROM {member} m JOIN {grant} g ON g.{grant_group} = m.{member_group}
               WHERE m.{member_user} = %(user)s AND g.{grant_perm} IN ({view_all})),
    ARRAY(SELECT m.{member_group} FROM {member} m
          WHERE m.{member_user} = %(user)s ORDER BY 1),
    (SELECT COUNT(*) FROM (SELECT 1 FROM {share} s
                           WHERE s.{share_user} = %(user)s LIMIT %(cap)s) AS direct_shares),
    (SELECT COUNT(*) FROM (SELECT 1 FROM {share} s
                           JOIN {member} m ON m.{member_group} = s.{share_group}
                           WHERE m.{member_user} = %(user)s LIMIT %(cap)s) AS group_shares)
"""


class VisibleParts:
    """``visible_to(user)`` as disjoint parts whose union it is, for queries that order and
    limit each part on its own index (the Executions search, executions.search).

    An administrator sees ``everything``. Anyone else sees their ``own`` records plus the
    others' records ``shared`` with them (directly or through a group): exactly the records
    ``Q(executor=user) | shared_with(user)`` of ``visible_to``, deleted ones excluded.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self.active = is_active_user(user)
        self.standing = standing(user)
        self.administrator = self.standing.administrator

    @functools.cached_property
    def _live(self) -> QuerySet[ExecutionRecord]:
        return ExecutionRecord.objects.filter(deleted_at__isnull=True)

    @functools.cached_property
    def groups(self) -> tuple[int, ...]:
        """The user's groups; read here only for a superuser who asks what is shared with them
        (``standing`` does not read a superuser's: they see everything)."""
        if self.standing.groups is not None:
            return self.standing.groups
        return _group_ids(self.user)

    @functools.cached_property
    def readers(self) -> list[str]:
        """The user and their groups as the ``readers`` column names them (migration
        executions 0004): 'u<id>', 'g<id>'."""
        return [f"u{self.user.pk}", *(f"g{group}" for group in self.groups)]

    def own(self) -> QuerySet[ExecutionRecord]:
        if not self.active:
            return self._live.none()
        return self._live.filter(executor=self.user)

    def shared(self) -> QuerySet[ExecutionRecord]:
        """Others' records shared with the user ("Shared with me").

        Two shapes of the same set, chosen by how many shares reach the user (``standing``
        stops counting at FEW_SHARES + 1). A few: through the shares table, whose statistics
        tell PostgreSQL exactly how few, so it fetches them and sorts them. Many (a big
        group): on PostgreSQL, as a condition on the record row, its ``readers`` column kept
        equal to its shares' users and groups by triggers (migration executions 0004), so the
        records are read in page order or intersected with the other filters in one GIN index.
        The readers statistics cannot tell a user with five shares from one with five
        hundred, and a wrong guess read a million records in page order to find five.
        """
        if not self.active:
            return self._live.none()
        shares = Share.objects.filter(Q(user=self.user) | Q(group_id__in=self.groups))
        shared = self._live.filter(pk__in=shares.values("record_id"))
        if self.standing.many_shares:
            shared = self._live.filter(SharedWithAny(self.readers))
        return shared.exclude(executor=self.user)

    def everything(self) -> list[QuerySet[ExecutionRecord]]:
        if self.administrator:
            return [self._live]
        return [self.own(), self.shared()]

    def conditions(
        self, scope: str = "all", keyed: list[tuple[str, list[Any]]] | None = None
    ) -> list[Part]:
        """The parts of ``scope`` ("all", "mine" or "shared": ``everything``, ``own``,
        ``shared``) as SQL conditions on the record table aliased ``r``, for the search's
        PostgreSQL statements (executions.search). The same sets as the querysets above, by
        the same rules; tests/executions/test_search_postgres.py holds them equal.

        ``keyed`` (``ExecutionFilter.reader_keys``) narrows the shared part of a user reached by
        many shares by procedure and status through reader keys (migration executions 0010):
        ``executions_reader_keys(...) && '{u2/p3,g1/p3}'`` is "shared with u2 or g1, and of
        procedure 3", one small GIN posting list, where the readers condition and a procedure
        filter had PostgreSQL intersect a big group's 82,000 records with the procedure's
        100,000 (~25 ms a count at 1M records). Such a part is ``keyed``: the caller leaves
        those filters out of it.
        """
        if not self.active:
            return []
        live = "r.deleted_at IS NULL"
        me = self.user.pk
        own = Part(f"{live} AND r.executor_id = %s", [me])
        if scope == "mine":
            return [own]
        if scope == "all" and self.administrator:
            return [Part(live, [])]
        if self.standing.many_shares and keyed:
            keys = "executions_reader_keys(r.readers, r.procedure_id, r.status) && %s::text[]"
            shared = Part(
                f"{live} AND r.readers IS NOT NULL AND "
                + " AND ".join(keys for _ in keyed)
                + " AND r.executor_id <> %s",
                [*([f"{r}/{code}{v}" for r in self.readers for v in values]
                   for code, values in keyed), me],
                keyed=True,
            )  # fmt: skip
        elif self.standing.many_shares:
            condition = f"{live} AND r.readers && %s::text[] AND r.executor_id <> %s"
            shared = Part(condition, [self.readers, me])
        else:
            groups = list(self.groups)
            through = "s.user_id = %s"
            if groups:
                through += f" OR s.group_id IN ({', '.join(['%s'] * len(groups))})"
            shared = Part(
                f"{live} AND r.id IN (SELECT s.record_id FROM {Share._meta.db_table} s "  # noqa: S608
                f"WHERE {through}) AND r.executor_id <> %s",
                [me, *groups, me],
            )
        return [shared] if scope == "shared" else [own, shared]


class Part(NamedTuple):
    """A part of what a user sees, as a condition on the record table aliased ``r``."""

    sql: str
    params: list[Any]
    keyed: bool = False  # holds the FilterSet's reader keys (VisibleParts.conditions)
