"""Demo data for `make run`: users, a group, three runbooks and records in every status.

Safe to run again: existing users, procedures and records are left as they are.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from executions import services as executions
from executions.models import ExecutionRecord
from procedures.models import Procedure
from procedures.services import procedure_import_file
from sharing.services import share_set

RUNBOOKS = Path(__file__).resolve().parents[2] / "demo" / "runbooks"


class Command(BaseCommand):
    help = "Load demo users (admin/admin, alice/opscore, bob/opscore), runbooks and records."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            admin = self._user("admin", "admin", superuser=True)
            alice = self._user("alice", "opscore")
            bob = self._user("bob", "opscore")
            sre, _ = Group.objects.get_or_create(name="sre")
            sre.user_set.add(alice, bob)
            Group.objects.get_or_create(name="ops-managers")[0].user_set.add(admin)
            for path in sorted(RUNBOOKS.glob("*.md")):
                result = procedure_import_file(path=path, user=admin)
                self.stdout.write(f"runbook {path.name}: {result.outcome}")
            if ExecutionRecord.objects.exists():
                self.stdout.write("records exist already; none added")
                return
            self._records(alice, bob)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready: admin/admin, alice/opscore, bob/opscore")
        )

    def _user(self, username: str, password: str, *, superuser: bool = False) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "is_staff": superuser,
                      "is_superuser": superuser},
        )  # fmt: skip
        if created:
            user.set_password(password)
            user.save()
        return user

    def _records(self, alice: User, bob: User) -> None:
        tls = Procedure.objects.get(import_key="rotate-tls-certificate.md").latest_version
        failover = Procedure.objects.get(import_key="database-failover.md").latest_version
        kernel = Procedure.objects.get(import_key="kernel-patch-and-reboot.md").latest_version
        now = timezone.now()

        done = executions.execution_start(
            version=tls, user=alice, title="Rotate TLS certificate on web-017 (CHG-20377)",
            values={"server": "web-017", "environment": "production", "admin_password": "x"},
        )  # fmt: skip
        for number in range(1, 6):
            executions.execution_step_set_done(record=done, user=alice, number=number, done=True)
        done.refresh_from_db()
        executions.execution_save_draft(
            record=done, user=alice, version=done.version,
            notes="Change CHG-20377. New bundle valid until March next year.",
            step_notes={1: "Drained in 41 s, 0 active connections left.",
                        4: "Chain OK; notAfter moved forward by a year."},
        )  # fmt: skip
        executions.execution_complete(record=done, user=alice)
        share_set(record=done, user=alice, access_scope="shared", usernames=["bob"])

        failed = executions.execution_start(
            version=failover, user=bob,
            values={"cluster": "pg-orders", "target_replica": "pg-orders-2", "region": "eu-west-1"},
        )  # fmt: skip
        executions.execution_step_set_done(record=failed, user=bob, number=1, done=True)
        executions.execution_fail(
            record=failed, user=bob,
            reason="Replica lag stayed at 40 MB; switchover aborted, primary unchanged.",
        )  # fmt: skip

        current = executions.execution_start(
            version=tls, user=alice, title="Rotate TLS certificate on web-042 (CHG-20418)",
            values={"server": "web-042", "environment": "production", "admin_password": "x"},
        )  # fmt: skip
        executions.execution_step_set_done(record=current, user=alice, number=1, done=True)
        executions.execution_step_set_done(record=current, user=alice, number=2, done=True)
        current.refresh_from_db()
        executions.execution_save_draft(
            record=current, user=alice, version=current.version,
            notes="Change CHG-20418. New bundle from Vault.",
            step_notes={1: "Drained in 38 s, 0 active connections left.",
                        2: "Backup at /var/backups/tls/web-042.pem, checksums match."},
        )  # fmt: skip

        executions.execution_start(
            version=kernel, user=bob, values={"host": "node-07", "ticket": "CHG-20420"}
        )
        # Spread start times over the last days so lists look lived in.
        for offset, record in enumerate(ExecutionRecord.objects.order_by("started_at")):
            ExecutionRecord.objects.filter(pk=record.pk).update(
                started_at=now - timedelta(days=3 - offset, hours=offset)
            )
