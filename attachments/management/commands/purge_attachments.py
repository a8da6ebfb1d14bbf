from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attachments.purge import attachments_purge, counted


class Command(BaseCommand):
    help = (
        "Delete the files (originals and thumbnails) of records deleted more than "
        "ATTACHMENT_PURGE_GRACE_DAYS ago and not on legal hold; mark them purged (no restore "
        "after that) and audit each record. Exits 1 when a file could not be deleted: the "
        "next run retries it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be purged, change nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        report = attachments_purge(dry_run=dry_run)
        for line in report.summary():
            self.stdout.write(line)
        for failure in report.failures:
            self.stderr.write(f"  record {failure.record_id}: {failure.key}: {failure.error}")
        if report.failure_count > len(report.failures):
            self.stderr.write(
                f"  and {report.failure_count - len(report.failures)} more (see the log)"
            )
        if report.failure_count:
            raise CommandError(
                f"{counted(report.failure_count, 'file')} not deleted; the next run retries"
            )
