"""State changes of execution records (SPEC section 4). Each writes one audit event.

Callers pass the user; each service checks the one policy itself, locks the record row, checks
the state, changes it and appends the event in one transaction. Secrets are masked by
``clean_values`` before anything is stored, so they never reach the database, logs or events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep
from opscore.exceptions import Conflict
from procedures.documents import PLACEHOLDER, SECRET_MASK
from procedures.models import ProcedureVersion
from procedures.rendering import Substitution
from procedures.variables import clean_values
from sharing.policy import can_edit

Action = ExecutionEvent.Action
Status = ExecutionRecord.Status
MAX_TITLE = 200
MAX_NOTES = 100_000


def _locked(record: ExecutionRecord, user: Any) -> ExecutionRecord:
    """The record's row, locked for this transaction, after checking the user may change it."""
    locked = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    if locked.deleted_at is not None:
        raise Conflict("This record has been deleted.")
    if not can_edit(user, locked):
        raise PermissionDenied("Only the executor can change this record.")
    return locked


def _reopen_to(record: ExecutionRecord, doing: str) -> str:
    return f"This run is {record.get_status_display().lower()}; reopen it to {doing}."


def _require_in_progress(record: ExecutionRecord, doing: str) -> None:
    if record.is_finished:
        raise Conflict(_reopen_to(record, doing))


def _only_added(before: str, after: str) -> bool:
    """``after`` keeps all of ``before`` and adds to it (browsers send CRLF line endings)."""
    kept = before.replace("\r\n", "\n").rstrip()
    return after.replace("\r\n", "\n").startswith(kept)


def _finished_refusal(record: ExecutionRecord, what: str) -> str:
    status = record.get_status_display().lower()
    return f"This run is {status}: {what} can be added to, not changed. Reopen it to change them."


def invalid_variables(exc: ValidationError) -> ValidationError:
    """Variable errors under 'variables', each message naming its variable; per-variable
    messages ride along as ``by_variable`` for forms and the API."""
    error = ValidationError({"variables": [m for ms in exc.message_dict.values() for m in ms]})
    error.by_variable = exc.message_dict  # type: ignore[attr-defined]
    return error


def default_title(version: ProcedureVersion, values: Mapping[str, str], when: Any) -> str:
    """'<procedure title>, <start date time>', placeholders in the title filled in."""
    substitution = Substitution(version.document, values)
    title = PLACEHOLDER.sub(
        lambda m: substitution.plain(m.group(1)) or m.group(0), version.procedure.title
    )
    local = timezone.localtime(when)
    return f"{title}, {local:%Y-%m-%d %H:%M}"[:MAX_TITLE]


@transaction.atomic
def execution_start(
    *,
    version: ProcedureVersion,
    user: Any,
    values: Mapping[str, Any],
    title: str = "",
    rerun_of: ExecutionRecord | None = None,
) -> ExecutionRecord:
    """Starts a run of ``version``: validates values, copies the steps, writes 'created'.

    ``rerun_of``, a record the caller fetched through the access policy, is named in the
    event so a run started with Run again leads back to the run it repeats.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied("Log in to start an execution.")
    try:
        cleaned = clean_values(version.document, values)
    except ValidationError as exc:
        raise invalid_variables(exc) from None
    now = timezone.now()
    title = (title or "").strip()[:MAX_TITLE] or default_title(version, cleaned, now)
    record = ExecutionRecord.objects.create(
        procedure_id=version.procedure_id,
        procedure_version=version,
        executor=user,
        title=title,
        started_at=now,
        variables=cleaned,
    )
    ExecutionStep.objects.bulk_create(
        ExecutionStep(record=record, number=step.number, description=step.description)
        for step in version.document.steps
    )
    event_append(
        record=record,
        actor=user,
        action=Action.CREATED,
        data={
            "procedure": version.procedure.title,
            "procedure_version": version.number,
            "title": title,
            "variables": cleaned,
            **({"rerun_of": str(rerun_of.pk)} if rerun_of is not None else {}),
        },
    )
    return record


def _merged_values(record: ExecutionRecord, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values overlaid with ``raw``: names left out keep their value, and an empty
    secret field means 'keep the stored (masked) secret'."""
    merged = {**record.variables, **raw}
    for variable in record.procedure_version.document.variables:
        keep = variable.is_secret and not str(merged.get(variable.name) or "").strip()
        if keep and record.variables.get(variable.name) == SECRET_MASK:
            merged[variable.name] = SECRET_MASK
    return merged


@transaction.atomic
def execution_save_draft(
    *,
    record: ExecutionRecord,
    user: Any,
    version: int,
    title: str | None = None,
    notes: str | None = None,
    variables: Mapping[str, Any] | None = None,
    step_notes: Mapping[int, str] | None = None,
) -> ExecutionRecord:
    """Saves title, notes, variables and step notes together, or nothing.

    ``version`` is the record version the user's edits are based on; if someone saved since,
    the save is refused with :class:`Conflict` so the caller can keep the user's text.
    """
    locked = _locked(record, user)
    if locked.version != version:
        raise Conflict(
            "This record was changed after you opened it (you had version "
            f"{version}, it is now at version {locked.version}). Your text is still here: copy "
            "what you need, then reload to see the latest.",
            current_version=locked.version,
        )
    errors: dict[str, list[str]] = {}
    by_variable: dict[str, list[str]] = {}
    changed: list[str] = []
    if title is not None:
        title = title.strip()
        if not title:
            errors["title"] = ["The title cannot be empty."]
        elif len(title) > MAX_TITLE:
            errors["title"] = [f"The title is longer than {MAX_TITLE} characters."]
        elif title != locked.title:
            if locked.is_finished:
                errors["title"] = [_reopen_to(locked, "change its title")]
            locked.title = title
            changed.append("title")
    # A finished run's evidence stays as it was: notes may only be added to (SPEC section 4).
    if notes is not None:
        if len(notes) > MAX_NOTES:
            errors["notes"] = [f"Notes are longer than {MAX_NOTES} characters."]
        elif notes != locked.notes:
            if locked.is_finished and not _only_added(locked.notes, notes):
                errors["notes"] = [_finished_refusal(locked, "its notes")]
            locked.notes = notes
            changed.append("notes")
    if variables is not None:
        try:
            cleaned = clean_values(
                locked.procedure_version.document, _merged_values(locked, variables)
            )
        except ValidationError as exc:
            by_variable = exc.message_dict
            errors["variables"] = invalid_variables(exc).message_dict["variables"]
        else:
            if cleaned != locked.variables:
                _require_in_progress(locked, "change its variables")
                locked.variables = cleaned
                changed.append("variables")
    changed_steps: list[ExecutionStep] = []
    if step_notes:
        steps = {s.number: s for s in locked.steps.filter(number__in=list(step_notes))}
        for number, text in sorted(step_notes.items()):
            step = steps.get(number)
            if step is None:
                errors.setdefault("steps", []).append(f"Step {number} does not exist.")
            elif len(text) > MAX_NOTES:
                errors.setdefault("steps", []).append(f"Step {number}: notes are too long.")
            elif text != step.notes:
                if locked.is_finished and not _only_added(step.notes, text):
                    refusal = _finished_refusal(locked, f"step {number}'s notes")
                    errors.setdefault("steps", []).append(refusal)
                step.notes = text
                changed_steps.append(step)
    if errors:
        error = ValidationError(errors)
        error.by_variable = by_variable  # type: ignore[attr-defined]
        raise error
    if not changed and not changed_steps:
        return locked
    if changed_steps:
        ExecutionStep.objects.bulk_update(changed_steps, ["notes"])
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    data: dict[str, Any] = {"fields": changed}
    if changed_steps:
        data["steps"] = [s.number for s in changed_steps]
    if "variables" in changed:
        data["variables"] = locked.variables
    event_append(record=locked, actor=user, action=Action.UPDATED, data=data)
    return locked


@transaction.atomic
def execution_step_set_notes(
    *, record: ExecutionRecord, user: Any, number: int, notes: str
) -> ExecutionStep:
    """Changes one step's notes (the API's step PATCH): last write wins, version bumped."""
    locked = _locked(record, user)
    save = execution_save_draft(
        record=locked, user=user, version=locked.version, step_notes={number: notes}
    )
    return save.steps.get(number=number)


@transaction.atomic
def execution_step_set_done(
    *, record: ExecutionRecord, user: Any, number: int, done: bool
) -> ExecutionStep:
    """Marks a step done (who and when) or not done; a no-op when it already is."""
    locked = _locked(record, user)
    _require_in_progress(locked, "change its steps")
    try:
        step = locked.steps.select_for_update().get(number=number)
    except ExecutionStep.DoesNotExist:
        raise ValidationError({"step": [f"Step {number} does not exist."]}) from None
    if step.is_done == done:
        return step
    step.executed_at = timezone.now() if done else None
    step.executed_by = user if done else None
    step.save(update_fields=["executed_at", "executed_by"])
    event_append(
        record=locked,
        actor=user,
        action=Action.STEP_DONE if done else Action.STEP_UNDONE,
        data={"step": number},
    )
    return step


@transaction.atomic
def execution_step_add(*, record: ExecutionRecord, user: Any, description: str) -> ExecutionStep:
    """Adds a step after the last one (something the procedure did not foresee)."""
    locked = _locked(record, user)
    _require_in_progress(locked, "add steps")
    description = " ".join(description.split())
    if not description:
        raise ValidationError({"description": ["Describe the step."]})
    if len(description) > 1000:
        raise ValidationError({"description": ["Keep the description under 1000 characters."]})
    last = locked.steps.order_by("-number").values_list("number", flat=True).first() or 0
    step = ExecutionStep.objects.create(
        record=locked, number=last + 1, description=description, is_extra=True
    )
    event_append(
        record=locked,
        actor=user,
        action=Action.STEP_ADDED,
        data={"step": step.number, "description": description},
    )
    return step


def _set_status(
    locked: ExecutionRecord, user: Any, status: str, *, reason: str = ""
) -> ExecutionRecord:
    previous = locked.status
    locked.status = status
    locked.completed_at = None if status == Status.IN_PROGRESS else timezone.now()
    locked.version += 1
    fields = ["status", "completed_at", "version", "updated_at"]
    if reason:
        stamp = f"Failure reason: {reason}"
        locked.notes = f"{locked.notes.rstrip()}\n\n{stamp}" if locked.notes.strip() else stamp
        fields.append("notes")
    locked.save(update_fields=fields)
    data: dict[str, Any] = {"from": previous, "to": status}
    if reason:
        data["reason"] = reason
    event_append(record=locked, actor=user, action=Action.STATUS_CHANGED, data=data)
    return locked


@transaction.atomic
def execution_complete(*, record: ExecutionRecord, user: Any) -> ExecutionRecord:
    locked = _locked(record, user)
    if locked.status != Status.IN_PROGRESS:
        raise Conflict(f"This run is already {locked.get_status_display().lower()}.")
    return _set_status(locked, user, Status.COMPLETED)


@transaction.atomic
def execution_fail(*, record: ExecutionRecord, user: Any, reason: str) -> ExecutionRecord:
    locked = _locked(record, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ["Say why the run failed; the reason goes into the notes."]}
        )
    if len(reason) > 5000:
        raise ValidationError({"reason": ["Keep the reason under 5000 characters."]})
    if locked.status != Status.IN_PROGRESS:
        raise Conflict(f"This run is already {locked.get_status_display().lower()}.")
    return _set_status(locked, user, Status.FAILED, reason=reason)


@transaction.atomic
def execution_reopen(*, record: ExecutionRecord, user: Any) -> ExecutionRecord:
    locked = _locked(record, user)
    if locked.status == Status.IN_PROGRESS:
        raise Conflict("This run is already in progress.")
    return _set_status(locked, user, Status.IN_PROGRESS)
