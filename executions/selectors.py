"""Reads for execution records. Every read starts from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep
from procedures.rendering import StepMark
from sharing.policy import get_visible_record


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
