"""The audit trail: append-only events per record, chained by SHA-256 (SPEC section 8).

Each event's hash covers a canonical JSON form of its content and its predecessor's hash, so
changing, removing or reordering any stored event breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from executions.models import ExecutionEvent, ExecutionRecord

GENESIS = ""
# One encoder for every hash: json.dumps with options builds a new encoder per call.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_form(
    *,
    record_id: str,
    seq: int,
    actor_name: str,
    action: str,
    data: dict[str, Any],
    created_at: datetime,
    prev_hash: str,
) -> bytes:
    content = {
        "record": record_id,
        "seq": seq,
        "actor": actor_name,
        "action": action,
        "data": data,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    return _CANONICAL_JSON.encode(content).encode()


def event_hash(event: ExecutionEvent) -> str:
    return hashlib.sha256(
        canonical_form(
            record_id=str(event.record_id),
            seq=event.seq,
            actor_name=event.actor_name,
            action=event.action,
            data=event.data,
            created_at=event.created_at,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


@transaction.atomic
def event_append(
    *,
    record: ExecutionRecord,
    actor: Any,
    action: str,
    data: dict[str, Any] | None = None,
) -> ExecutionEvent:
    """Writes the next event of ``record``. Never pass secret values in ``data``."""
    # The row lock serialises appends per record, so the chain never forks.
    ExecutionRecord.objects.select_for_update().filter(pk=record.pk).exists()
    last = (
        ExecutionEvent.objects.filter(record_id=record.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    event = ExecutionEvent(
        record_id=record.pk,
        seq=seq,
        actor=actor_user,
        actor_name=actor_user.get_username() if actor_user else "system",
        action=action,
        data=data or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    record_id: str
    seq: int
    event_id: int | None
    problem: str


def verify_chain(events: Iterable[ExecutionEvent], record_id: str) -> list[ChainBreak]:
    """Every break in one record's chain (events in seq order); empty when intact."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            breaks.append(
                ChainBreak(record_id, event.seq, event.pk, f"expected event {expected_seq} here")
            )
        if event.prev_hash != expected_prev:
            breaks.append(
                ChainBreak(record_id, event.seq, event.pk, "does not link to the event before it")
            )
        if event_hash(event) != event.hash:
            breaks.append(
                ChainBreak(record_id, event.seq, event.pk, "content does not match its hash")
            )
        expected_prev = event.hash
        expected_seq = event.seq + 1
    return breaks


@dataclass
class VerifyResult:
    records: int
    events: int
    breaks: list[ChainBreak]


def verify_records(*, record_id: Any = None, batch_size: int = 2000) -> VerifyResult:
    """Verifies the chains of every record (or one), streaming events in record order."""
    events = ExecutionEvent.objects.order_by("record_id", "seq")
    if record_id is not None:
        events = events.filter(record_id=record_id)
    result = VerifyResult(records=0, events=0, breaks=[])
    current: Any = None
    chain: list[ExecutionEvent] = []

    def close() -> None:
        if current is not None:
            result.records += 1
            result.breaks.extend(verify_chain(chain, str(current)))

    for event in events.iterator(chunk_size=batch_size):
        if event.record_id != current:
            close()
            current, chain = event.record_id, []
        chain.append(event)
        result.events += 1
    close()
    return result
