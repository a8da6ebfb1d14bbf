"""Demo data for `make run`: users, a group, three runbooks and records in every status.

Safe to run again: existing users, procedures and records are left as they are.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from attachments.services import attachments_store
from attachments.uploads import StreamedUpload
from executions import services as executions
from executions.models import ExecutionRecord
from opscore.demo import screenshots
from opscore.demo.clock import demo_clock
from procedures.models import Procedure, ProcedureVersion
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
        # Outside the transaction above: each service commits on its own, and storing evidence
        # must be the outermost transaction (files and rows commit together or not at all).
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

    def _latest_version(self, import_key: str) -> ProcedureVersion:
        version = Procedure.objects.get(import_key=import_key).latest_version
        if version is None:  # every import saves a version first; None means a broken database
            raise CommandError(f"The demo runbook {import_key} has no version.")
        return version

    def _records(self, alice: User, bob: User) -> None:
        tls = self._latest_version("rotate-tls-certificate.md")
        failover = self._latest_version("database-failover.md")
        kernel = self._latest_version("kernel-patch-and-reboot.md")
        # Anchored on the present, so no demo record ever starts in the future.
        today = timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=50)

        # Three days ago: alice rotated web-017's certificate, and shared the record with bob.
        with demo_clock(today - timedelta(days=3)) as clock:
            done = executions.execution_start(
                version=tls, user=alice, title="Rotate TLS certificate on web-017 (CHG-20377)",
                values={"server": "web-017", "environment": "production", "admin_password": "x"},
            )  # fmt: skip
            for number in range(1, 6):
                clock.advance(minutes=3, seconds=17)
                executions.execution_step_set_done(
                    record=done, user=alice, number=number, done=True
                )
                if number in (1, 2, 4):
                    self._screenshots(done, alice, "web-017", steps=(number,))
            clock.advance(minutes=2)
            done.refresh_from_db()
            executions.execution_save_draft(
                record=done, user=alice, version=done.version,
                notes="Change CHG-20377. New bundle valid until March next year.",
                step_notes={1: "Drained in 41 s, 0 active connections left.",
                            4: "Chain OK; notAfter moved forward by a year."},
            )  # fmt: skip
            executions.execution_complete(record=done, user=alice)
            clock.advance(minutes=1)
            share_set(record=done, user=alice, access_scope="shared", usernames=["bob"])

        # Two days ago: bob's failover stopped at replication lag.
        with demo_clock(today - timedelta(days=2, hours=-5)) as clock:
            failed = executions.execution_start(
                version=failover, user=bob,
                values={"cluster": "pg-orders", "target_replica": "pg-orders-2",
                        "region": "eu-west-1"},
            )  # fmt: skip
            clock.advance(minutes=6)
            executions.execution_step_set_done(record=failed, user=bob, number=1, done=True)
            clock.advance(minutes=9)
            executions.execution_fail(
                record=failed, user=bob,
                reason="Replica lag stayed at 40 MB; switchover aborted, primary unchanged.",
            )  # fmt: skip

        # Within the hour: alice is halfway through web-042; bob has just started a kernel patch.
        with demo_clock(today) as clock:
            current = executions.execution_start(
                version=tls, user=alice, title="Rotate TLS certificate on web-042 (CHG-20418)",
                values={"server": "web-042", "environment": "production", "admin_password": "x"},
            )  # fmt: skip
            for number in (1, 2):
                clock.advance(minutes=2)
                executions.execution_step_set_done(
                    record=current, user=alice, number=number, done=True
                )
                self._screenshots(current, alice, "web-042", steps=(number,))
            clock.advance(minutes=1)
            current.refresh_from_db()
            executions.execution_save_draft(
                record=current, user=alice, version=current.version,
                notes="Change CHG-20418. New bundle from Vault.",
                step_notes={1: "Drained in 38 s, 0 active connections left.",
                            2: "Backup at /var/backups/tls/web-042.pem, checksums match."},
            )  # fmt: skip
            clock.advance(minutes=20)
            executions.execution_start(
                version=kernel, user=bob, values={"host": "node-07", "ticket": "CHG-20420"}
            )

    def _screenshots(
        self, record: ExecutionRecord, user: User, server: str, steps: tuple[int, ...] = (1, 2, 4)
    ) -> None:
        """PNG evidence drawn with Pillow; thumbnails follow (in-process without a broker)."""
        shots = {
            1: ("lb-drain.png", screenshots.dashboard(
                f"Active connections: {server}", [0.8, 0.82, 0.78, 0.8, 0.6, 0.3, 0.1, 0.02, 0.0],
                dip_at=4)),
            2: ("cert-backup.png", screenshots.terminal(f"alice@{server}: ~", [
                f"$ sudo cp /etc/ssl/private/{server}.pem /var/backups/tls/",
                f"$ sha256sum /etc/ssl/private/{server}.pem /var/backups/tls/{server}.pem",
                f"9f2c4e1a7b0d5c3e  /etc/ssl/private/{server}.pem",
                f"9f2c4e1a7b0d5c3e  /var/backups/tls/{server}.pem"])),
            4: ("cert-verify.png", screenshots.terminal(f"alice@{server}: ~", [
                f"$ openssl s_client -connect {server}:443 | openssl x509 -noout -dates",
                "notBefore=Mar 14 00:00:00 2025 GMT",
                "notAfter=Mar 14 23:59:59 2026 GMT",
                "Verify return code: 0 (ok)"])),
        }  # fmt: skip
        for step in steps:
            name, data = shots[step]
            upload = StreamedUpload.from_bytes(name, data)
            try:
                attachments_store(record=record, user=user, uploads=[upload], step=step)
            finally:
                upload.close()
