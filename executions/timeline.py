"""How audit events read on the record's timeline: an icon, a sentence and a detail line."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.safestring import SafeString

from executions.models import ExecutionEvent

Action = ExecutionEvent.Action
STATUS_WORDS = {"in_progress": "reopened the run", "completed": "completed the run",
                "failed": "marked the run as failed"}  # fmt: skip
FIELD_WORDS = {"title": "title", "notes": "notes", "variables": "variables"}
PURGED_NAMES_SHOWN = 3  # the event lists every file; the timeline names the first few


@dataclass(frozen=True)
class TimelineEntry:
    event: ExecutionEvent
    icon: str
    sentence: SafeString
    detail: str


def _draft_detail(data: dict) -> str:
    parts = [FIELD_WORDS.get(f, f) for f in data.get("fields", [])]
    parts += [f"step {n} notes" for n in data.get("steps", [])]
    return "changed: " + ", ".join(parts) if parts else ""


def _purged(event: ExecutionEvent, data: dict) -> TimelineEntry:
    files = data.get("files") or []
    count = data.get("count", len(files))
    if not count:
        sentence = format_html("<strong>{}</strong> purged the deleted record: it had no files",
                               event.actor_name)  # fmt: skip
        return TimelineEntry(event, "trash", sentence, "")
    size = filesizeformat(data.get("bytes", 0))
    sentence = format_html(
        "<strong>{}</strong> purged {} of the deleted record ({})",
        event.actor_name,
        "1 file" if count == 1 else f"{count} files",
        size,
    )
    names = [f.get("file_name", "?") for f in files[:PURGED_NAMES_SHOWN]]
    more = count - len(names)
    detail = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return TimelineEntry(event, "trash", sentence, detail)


def describe(event: ExecutionEvent) -> TimelineEntry:
    data = event.data or {}
    who = event.actor_name
    action = event.action
    if action == Action.CREATED:
        values = " · ".join(f"{k}={v}" for k, v in (data.get("variables") or {}).items())
        detail = f"{data.get('procedure', '')} v{data.get('procedure_version', '?')}"
        if data.get("rerun_of"):
            detail += f" · run again of {data['rerun_of'][:8]}"
        return TimelineEntry(
            event,
            "play",
            format_html("<strong>{}</strong> started the execution", who),
            f"{detail} · {values}" if values else detail,
        )
    if action == Action.UPDATED:
        return TimelineEntry(
            event,
            "pencil",
            format_html("<strong>{}</strong> saved a draft", who),
            _draft_detail(data),
        )
    if action == Action.STATUS_CHANGED:
        words = STATUS_WORDS.get(data.get("to", ""), "changed the status")
        icon = {"completed": "check-circle", "failed": "x-circle"}.get(data.get("to", ""), "rotate")
        return TimelineEntry(
            event, icon, format_html("<strong>{}</strong> {}", who, words), data.get("reason", "")
        )
    if action in (Action.STEP_DONE, Action.STEP_UNDONE):
        verb = "marked step {} done" if action == Action.STEP_DONE else "marked step {} not done"
        return TimelineEntry(
            event,
            "check" if action == Action.STEP_DONE else "rotate",
            format_html("<strong>{}</strong> " + verb, who, data.get("step")),
            "",
        )
    if action == Action.STEP_ADDED:
        return TimelineEntry(
            event,
            "plus",
            format_html("<strong>{}</strong> added step {}", who, data.get("step")),
            data.get("description", ""),
        )
    if action in (Action.ATTACHMENT_ADDED, Action.ATTACHMENT_DELETED):
        verb = "attached" if action == Action.ATTACHMENT_ADDED else "deleted"
        target = f" to step {data['step']}" if data.get("step") else ""
        if action == Action.ATTACHMENT_DELETED:
            target = f" from step {data['step']}" if data.get("step") else ""
        size = filesizeformat(data.get("size", 0))
        sha = (data.get("sha256") or "")[:12]
        return TimelineEntry(
            event,
            "image" if action == Action.ATTACHMENT_ADDED else "trash",
            format_html(
                "<strong>{}</strong> {} <strong>{}</strong>{}",
                who,
                verb,
                data.get("file_name", "a file"),
                target,
            ),
            f"{size} · sha256 {sha}…" if sha else size,
        )
    if action == Action.ATTACHMENTS_PURGED:
        return _purged(event, data)
    if action in (Action.SHARED, Action.UNSHARED):
        names = [*(data.get("users") or []), *(f"group {g}" for g in data.get("groups") or [])]
        verb = "shared the record with" if action == Action.SHARED else "stopped sharing with"
        return TimelineEntry(
            event,
            "share" if action == Action.SHARED else "lock",
            format_html("<strong>{}</strong> {} {}", who, verb, ", ".join(names) or "everyone"),
            data.get("reason", ""),  # set when a deleted account or group took its share along
        )
    return TimelineEntry(
        event,
        "info",
        format_html("<strong>{}</strong> {}", who, event.get_action_display()),
        ", ".join(f"{k}: {v}" for k, v in data.items() if isinstance(v, (str, int))),
    )
