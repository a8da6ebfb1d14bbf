from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from executions.audit import verify_records


class Command(BaseCommand):
    help = (
        "Recompute every record's audit hash chain and report each break (an event changed, "
        "removed or reordered behind the application's back, or a chain that stops short of "
        "the head its record holds). Exits 1 when any break is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--record", type=uuid.UUID, help="verify one record only")

    def handle(self, *args: Any, record: uuid.UUID | None, **options: Any) -> None:
        result = verify_records(record_id=record)
        for problem in result.breaks:
            # No id when there is no event to name (every event of the record was removed).
            event_id = f" (id {problem.event_id})" if problem.event_id is not None else ""
            self.stdout.write(
                f"BROKEN record {problem.record_id} event {problem.seq}{event_id}: "
                f"{problem.problem}"
            )
        summary = f"checked {result.records} records, {result.events} events"
        if result.breaks:
            raise CommandError(f"{summary}: {len(result.breaks)} breaks found")
        self.stdout.write(self.style.SUCCESS(f"{summary}: every chain intact"))
