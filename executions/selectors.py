"""Reads for execution records. Every read starts from the access policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep
from procedures.models import Procedure
from procedures.rendering import StepMark
from sharing.policy import get_visible_record, visible_to

# Counts are exact up to here and shown as "10,000+" beyond, like the search (SPEC section 7).
RUN_COUNT_CAP = 10_000


def record_for_page(user: Any, pk: Any) -> ExecutionRecord:
    """The record with everything its page header needs, or 404."""
    return get_visible_record(
        user,
        pk,
        ExecutionRecord.objects.select_related(
            "procedure", "procedure__latest_version", "procedure_version", "executor"
        ),
    )


def record_steps(record: ExecutionRecord) -> list[ExecutionStep]:
    return list(record.steps.select_related("executed_by").order_by("number"))


def record_events(record: ExecutionRecord) -> QuerySet[ExecutionEvent]:
    return record.events.order_by("-seq")


def procedure_runs(user: Any, procedure: Procedure) -> QuerySet[ExecutionRecord]:
    """The runs of ``procedure`` that ``user`` may see, newest first, with their executors."""
    return (
        visible_to(user)
        .filter(procedure=procedure)
        .select_related("executor")
        .order_by("-started_at", "-id")
    )


@dataclass(frozen=True)
class RunCounts:
    """How many runs of a procedure a user may see, by status and by version."""

    by_status: dict[str, int]
    by_version: dict[int, int]  # ProcedureVersion id -> runs

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def capped(self) -> bool:
        return self.total > RUN_COUNT_CAP

    @property
    def cap(self) -> str:
        return f"{RUN_COUNT_CAP:,}"

    @property
    def shown(self) -> str:
        """The total as the page shows it: '128', or '10,000+' past the cap."""
        return f"{self.cap}+" if self.capped else str(self.total)

    @property
    def completed(self) -> int:
        return self.by_status.get(ExecutionRecord.Status.COMPLETED, 0)

    @property
    def failed(self) -> int:
        return self.by_status.get(ExecutionRecord.Status.FAILED, 0)

    @property
    def in_progress(self) -> int:
        return self.by_status.get(ExecutionRecord.Status.IN_PROGRESS, 0)


def procedure_run_counts(user: Any, procedure: Procedure) -> RunCounts:
    """Counted over the latest runs only, cut at the search's cap (SPEC section 7), so a
    procedure with a million runs costs what one with ten thousand does.

    One query of two small columns, counted here: grouping in SQL over the capped subquery
    made PostgreSQL scan the whole table to join it back.
    """
    latest = procedure_runs(user, procedure).values_list("procedure_version_id", "status")
    by_status: Counter[str] = Counter()
    by_version: Counter[int] = Counter()
    for version_id, status in latest[: RUN_COUNT_CAP + 1]:
        by_status[status] += 1
        by_version[version_id] += 1
    return RunCounts(by_status=dict(by_status), by_version=dict(by_version))


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    current: int | None  # number of the first step not done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress_of(steps: list[ExecutionStep]) -> Progress:
    done = sum(1 for s in steps if s.is_done)
    current = next((s.number for s in steps if not s.is_done), None)
    return Progress(done=done, total=len(steps), current=current)


def step_marks(
    record: ExecutionRecord, steps: list[ExecutionStep], progress: Progress
) -> dict[int, StepMark]:
    """Done steps show their time; while in progress, the first open step is the current one."""
    marks: dict[int, StepMark] = {}
    for step in steps:
        if step.executed_at:
            marks[step.number] = StepMark(
                "is-done", f"✓ {timezone.localtime(step.executed_at):%H:%M}"
            )
    if not record.is_finished and progress.current is not None:
        marks[progress.current] = StepMark("is-current", "Current step")
    return marks
