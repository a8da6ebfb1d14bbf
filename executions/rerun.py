"""Run again: an earlier run's values as the starting point of a new run of the latest version.

One rule for the page and the API (``procedures.variables.carry_over``): non-secret values that
still fit are carried, values that no longer fit are dropped and named, secrets never travel.
The page shows the plan in the Start Execution form; the API starts the run at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from executions.models import ExecutionRecord
from executions.services import execution_start, invalid_variables
from procedures.models import ProcedureVersion
from procedures.variables import CarryOver, DroppedValue, carry_over
from sharing.policy import get_visible_record


@dataclass(frozen=True)
class RerunPlan:
    """What a new run of ``version`` starts from when ``source`` is run again."""

    source: ExecutionRecord
    version: ProcedureVersion
    carried: CarryOver

    @property
    def values(self) -> dict[str, str]:
        return self.carried.values

    @property
    def dropped(self) -> tuple[DroppedValue, ...]:
        return self.carried.dropped


def _source(user: Any, record_id: Any) -> ExecutionRecord:
    return get_visible_record(
        user,
        record_id,
        ExecutionRecord.objects.select_related(
            "procedure__latest_version", "procedure_version", "executor"
        ),
    )


def rerun_plan(*, user: Any, record_id: Any, version: ProcedureVersion | None = None) -> RerunPlan:
    """The plan for running record ``record_id`` again on ``version`` (default: the latest).

    Http404 when ``user`` may not see the record, or when ``version`` belongs to another
    procedure than the record's.
    """
    source = _source(user, record_id)
    target = version or source.procedure.latest_version
    if target is None or target.procedure_id != source.procedure_id:
        raise Http404("That record is not a run of this procedure.")
    carried = carry_over(target.document, source.variables, source.procedure_version.document)
    return RerunPlan(source=source, version=target, carried=carried)


def _not_carried(dropped: DroppedValue) -> str:
    value = f" “{dropped.value}”" if dropped.value else ""
    return f"The earlier run's value{value} was not carried over: {dropped.reason}."


def _explained(exc: ValidationError, plan: RerunPlan) -> ValidationError:
    """The start's refusal, each message about a value not carried over saying why."""
    why = {d.name: _not_carried(d) for d in plan.dropped}
    for secret in plan.carried.secrets:
        why[secret.name] = "Secrets are never carried over from an earlier run; send it again."
    by_variable = getattr(exc, "by_variable", None) or exc.message_dict
    explained = {
        name: [*messages, why[name]] if name in why else messages
        for name, messages in by_variable.items()
    }
    return invalid_variables(ValidationError(explained))


def execution_rerun(
    *, user: Any, record_id: Any, variables: Mapping[str, Any] | None = None, title: str = ""
) -> tuple[ExecutionRecord, RerunPlan]:
    """Starts a run of the latest version from record ``record_id``'s values.

    ``variables`` override or add to the carried values (required secrets go here). The start
    is the ordinary one, so the same checks apply; a refusal names each variable, and says
    when a value was not carried over and why.
    """
    plan = rerun_plan(user=user, record_id=record_id)
    values = {**plan.values, **(variables or {})}
    try:
        record = execution_start(
            version=plan.version, user=user, values=values, title=title, rerun_of=plan.source
        )
    except ValidationError as exc:
        raise _explained(exc, plan) from None
    return record, plan
