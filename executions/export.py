"""The export bundle: a run's evidence outside OpsCore, verifiable offline (issue 8).

A ZIP streamed to the client: every original file under ``attachments/``, then ``record.json``
(metadata, masked variables, steps, attachments and the audit chain with its head),
``report.html`` (a self-contained, printable report), ``verify_chain.py`` (recomputes the chain
with Python's standard library) and ``SHA256SUMS`` for ``sha256sum -c``. Memory stays flat:
files are read in chunks from storage.

The files come first so that what follows describes what the bundle really holds: the response
streams, so once bytes are sent a file that cannot be read (deleted, on the other storage
backend, a storage error, even part-way) can no longer change the status. It is left out, or
cut short, and the archive goes on; record.json marks it ``missing`` (and ``incomplete`` when cut
short), report.html says it was missing from storage at export time, and SHA256SUMS lists only
the files the bundle holds whole. So ``sha256sum -c`` checks that nothing changed since the
export, and record.json, itself listed there, says what was already absent at export time (a
missing file listed in SHA256SUMS would read the same as one deleted from the bundle later).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from executions import selectors
from executions.audit import event_append
from executions.models import ExecutionEvent, ExecutionRecord
from executions.timeline import describe
from executions.zipstream import Member, zip_stream
from procedures.rendering import render_inline, render_markdown

FORMAT = "opscore-export/1"
VERIFY_SCRIPT = Path(__file__).with_name("export_verify.py")
# Keys of an attachment entry used to build the bundle but not written into record.json:
# "open" opens the original for reading, "on_error" marks the entry when reading it fails (see
# zipstream.Member), "thumbnail" is a data: URI for report.html (or None).
INTERNAL_KEYS = {"open", "on_error", "thumbnail"}


def _compressible(mime_type: str) -> bool:
    """Text compresses well; screenshots, archives and unknown binaries are stored as they are."""
    return mime_type.startswith("text/") or mime_type in {"application/json", "application/xml"}


def export_filename(record: ExecutionRecord) -> str:
    slug = slugify(record.title)[:60] or "record"
    return f"opscore-{slug}-{str(record.pk)[:8]}.zip"


def _event_json(event: ExecutionEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "actor": event.actor_name,
        "action": event.action,
        "data": event.data,
        # Exactly the string the hash covers (see executions.audit.canonical_form).
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def attachment_entries(record: ExecutionRecord) -> list[dict[str, Any]]:
    """The record's files as export entries (path, file_name, size, mime_type, sha256, step,
    uploaded_by, uploaded_at, storage_type, missing, plus the INTERNAL_KEYS; and once reading
    failed, missing_reason and maybe incomplete and bytes_in_bundle); empty until the
    attachments app provides ``attachments.export.export_entries``."""
    try:
        from attachments.export import export_entries
    except ImportError:
        return []
    return list(export_entries(record))


def _record_json(
    record: ExecutionRecord,
    steps: list[Any],
    events: list[ExecutionEvent],
    files: list[dict],
    exported_at: datetime,
    head: ExecutionEvent,
) -> bytes:
    version = record.procedure_version
    content = {
        "format": FORMAT,
        "exported_at": exported_at,
        "record": {
            "id": record.pk,
            "title": record.title,
            "status": record.status,
            "procedure": {"id": record.procedure_id, "title": record.procedure.title},
            "procedure_version": {"id": version.pk, "number": version.number},
            "executor": record.executor.get_username(),
            "started_at": record.started_at,
            "completed_at": record.completed_at,
            "variables": record.variables,  # secrets are stored masked, so exported masked
            "notes": record.notes,
            "access_scope": record.access_scope,
        },
        "procedure_body": version.body,
        "steps": [
            {
                "number": s.number,
                "description": s.description,
                "notes": s.notes,
                "executed_at": s.executed_at,
                "executed_by": s.executed_by.get_username() if s.executed_by else None,
                "added_during_run": s.is_extra,
            }
            for s in steps
        ],
        "attachments": [{k: v for k, v in f.items() if k not in INTERNAL_KEYS} for f in files],
        "audit_chain": {
            "algorithm": "sha256",
            "canonical_form": (
                "sha256 of JSON (sorted keys, separators ',' ':', UTF-8) of {record, seq, actor, "
                "action, data, created_at, prev_hash}; the first event's prev_hash is ''; "
                "the last event is the head"
            ),
            # Where the record says its chain ends: removing the latest events from the list
            # leaves every remaining link intact, but the chain no longer ends here.
            "head": {"seq": head.seq, "hash": head.hash},
            "events": [_event_json(e) for e in events],
        },
    }
    return json.dumps(content, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _report_context(
    record: ExecutionRecord,
    steps: list[Any],
    events: list[ExecutionEvent],
    files: list[dict],
    exported_at: datetime,
) -> dict[str, Any]:
    """Everything report.html shows; the file entries are read when it renders, after the files
    streamed, so that it tells which were missing."""
    document = record.procedure_version.document
    progress = selectors.progress_of(steps)
    marks = selectors.step_marks(record, steps, progress)
    by_step: dict[int | None, list[dict]] = {}
    for entry in files:
        by_step.setdefault(entry["step"], []).append(entry)
    for step in steps:
        step.description_html = mark_safe(
            render_inline(document, step.description, record.variables)
        )
        step.files = by_step.get(step.number, [])
    return {
        "record": record,
        "document_html": mark_safe(render_markdown(document, record.variables, step_marks=marks)),
        "steps": steps,
        "progress": progress,
        "files": files,
        "record_files": by_step.get(None, []),
        "timeline": [describe(e) for e in reversed(events)],
        "events": events,
        "generated_at": exported_at,
    }


def _report_html(context: dict[str, Any]) -> bytes:
    missing = [entry for entry in context["files"] if entry["missing"]]
    return render_to_string(
        "executions/export/report.html", {**context, "missing_files": missing}
    ).encode()


def execution_export(*, record: ExecutionRecord, user: Any) -> Iterator[bytes]:
    """Writes the 'exported' event and returns the bundle's bytes as an iterator.

    The caller has checked that ``user`` may see ``record``; anyone who may see it may export it.
    Everything that queries or renders Markdown happens here, before the first byte: an error
    then is still a plain 500. Only what depends on how reading the files went is left for
    the end of the stream.
    """
    exported = event_append(
        record=record, actor=user, action=ExecutionEvent.Action.EXPORTED, data={}
    )
    steps = selectors.record_steps(record)
    # The chain up to this export, which is its head: an event appended meanwhile by someone
    # else belongs to the next export.
    events = list(record.events.filter(seq__lte=exported.seq).order_by("seq"))
    files = attachment_entries(record)
    exported_at = timezone.now()
    report = _report_context(record, steps, events, files, exported_at)
    digests: dict[str, bytes] = {}

    def sums() -> io.BytesIO:
        lines = [f"{digest.hex()}  {path}\n" for path, digest in digests.items()]
        return io.BytesIO("".join(lines).encode())

    members: list[Member] = [
        *(
            Member(
                entry["path"], entry["open"], _compressible(entry["mime_type"]), entry["on_error"]
            )
            for entry in files
        ),
        # After the files: these say which of them the bundle holds, and SHA256SUMS lists the
        # digests taken while the others streamed.
        Member(
            "record.json",
            lambda: io.BytesIO(_record_json(record, steps, events, files, exported_at, exported)),
            True,
        ),
        Member("report.html", lambda: io.BytesIO(_report_html(report)), True),
        Member("verify_chain.py", lambda: VERIFY_SCRIPT.open("rb"), True),
        Member("SHA256SUMS", sums, True),
    ]
    return zip_stream(members, on_member=lambda path, digest: digests.__setitem__(path, digest))
