"""A small world of records for the search tests: who ran what, when, with which values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from executions import services
from executions.models import ExecutionRecord
from procedures.models import Procedure
from procedures.services import procedure_create
from sharing.models import Share

FAILOVER_BODY = """---
variables:
  cluster: {required: true}
  region: {type: choice, choices: [eu-west-1, us-east-1]}
  db_password: {type: secret}
---
# Fail over database cluster {{ cluster }}

1. Check replica lag on {{ cluster }}.
2. Promote the replica.
"""


@dataclass
class World:
    """alice ran tls_web42, tls_web7 and failover; bob ran bob_tls (shared with alice);
    dora ran dora_private and dora_shared (shared with the sre group, which bob is in)."""

    alice: User
    bob: User
    dora: User
    tls: Procedure
    failover: Procedure
    tls_web42: ExecutionRecord
    tls_web7: ExecutionRecord
    failover_rec: ExecutionRecord
    bob_tls: ExecutionRecord
    dora_private: ExecutionRecord
    dora_shared: ExecutionRecord


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def place(record: ExecutionRecord, started: str, **fields: Any) -> ExecutionRecord:
    """Moves a record in time (and sets other columns) without an audit event: test set-up."""
    ExecutionRecord.objects.filter(pk=record.pk).update(started_at=at(started), **fields)
    record.refresh_from_db()
    return record


def build_world(alice: User, bob: User, sre: Group, procedure: Procedure) -> World:
    dora = User.objects.create_user("dora", password="opscore")
    failover = procedure_create(title="Fail over database cluster", body=FAILOVER_BODY, user=alice)
    tls_version = procedure.latest_version
    fo_version = failover.latest_version

    def start(user: User, version: Any, values: dict[str, str], title: str = "") -> Any:
        return services.execution_start(version=version, user=user, values=values, title=title)

    tls_web42 = start(
        alice, tls_version, {"server": "web-042", "environment": "production",
                             "admin_password": "hunter2"}, "Rotate TLS on web-042 (CHG-20418)"
    )  # fmt: skip
    services.execution_save_draft(
        record=tls_web42, user=alice, version=1, notes="Drained in 38 s",
        step_notes={2: "Certificate serial 4F:2A installed"},
    )  # fmt: skip
    services.execution_complete(record=tls_web42, user=alice)
    tls_web7 = start(alice, tls_version, {"server": "web-007", "admin_password": ""})
    services.execution_fail(record=tls_web7, user=alice, reason="Load balancer timeout")
    failover_rec = start(
        alice, fo_version, {"cluster": "pg-main", "region": "eu-west-1", "db_password": "pw"}
    )
    bob_tls = start(bob, tls_version, {"server": "web-042", "environment": "staging"})
    Share.objects.create(record=bob_tls, user=alice)
    dora_private = start(dora, fo_version, {"cluster": "pg-billing", "region": "us-east-1"})
    dora_shared = start(dora, fo_version, {"cluster": "pg-main", "region": "us-east-1"})
    Share.objects.create(record=dora_shared, group=sre)
    ExecutionRecord.objects.filter(pk__in=[bob_tls.pk, dora_shared.pk]).update(
        access_scope="shared"
    )
    return World(
        alice=alice, bob=bob, dora=dora, tls=procedure, failover=failover,
        tls_web42=place(tls_web42, "2025-03-10 09:12"),
        tls_web7=place(tls_web7, "2025-03-11 23:30"),
        failover_rec=place(failover_rec, "2025-03-12 08:00"),
        bob_tls=place(bob_tls, "2025-03-13 10:00"),
        dora_private=place(dora_private, "2025-03-14 10:00"),
        dora_shared=place(dora_shared, "2025-03-15 10:00"),
    )  # fmt: skip


def api_search(user: User, query: str = "") -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/executions/{query}")


def found(user: User, query: str = "") -> list[str]:
    """Ids of the records the API search returns, in order (first page)."""
    response = api_search(user, query)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def ids(*records: ExecutionRecord) -> list[str]:
    return [str(r.pk) for r in records]
