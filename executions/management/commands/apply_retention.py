from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from executions.retention import retention_apply


class Command(BaseCommand):
    help = "Soft-delete the records that the enabled retention policies say should go."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be deleted, change nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        report = retention_apply(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        if not report.by_policy:
            self.stdout.write("No enabled retention policies.")
        for name, count in report.by_policy.items():
            self.stdout.write(f"policy {name}: {verb} {count} records")
        self.stdout.write(f"total: {verb} {report.total} records")
