"""The audit trail: append-only events per record, chained by SHA-256 (SPEC section 8).

Each event's hash covers a canonical JSON form of its content and its predecessor's hash, so
changing, removing or reordering any stored event breaks the chain from that point on. The
record keeps the head of its chain (``audit_seq``, ``audit_head``), written with each event, so
removing the latest events, which leaves no broken link behind, breaks the chain's end instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef

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
    """Writes the next event of ``record`` and moves the record's head to it (the caller's
    instance too). Never pass secret values in ``data``."""
    # The row lock serialises appends per record, so the chain never forks. The next event
    # follows the head, not the latest event found: after the latest events were removed, it
    # names the missing one as its predecessor instead of quietly taking its place.
    head_seq, prev_hash = (
        ExecutionRecord.objects.select_for_update()
        .values_list("audit_seq", "audit_head")
        .get(pk=record.pk)
    )
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    event = ExecutionEvent(
        record_id=record.pk,
        seq=head_seq + 1,
        actor=actor_user,
        actor_name=actor_user.get_username() if actor_user else "system",
        action=action,
        data=data or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    # update(), not save(): the head is no change of the record's content (updated_at stays).
    ExecutionRecord.objects.filter(pk=record.pk).update(audit_seq=event.seq, audit_head=event.hash)
    record.audit_seq, record.audit_head = event.seq, event.hash
    return event


@dataclass(frozen=True)
class ChainHead:
    """Where a record says its chain ends: the seq and hash of its latest event."""

    seq: int
    hash: str

    @classmethod
    def of(cls, record: ExecutionRecord) -> ChainHead:
        return cls(record.audit_seq, record.audit_head)


@dataclass(frozen=True)
class ChainBreak:
    record_id: str
    seq: int
    event_id: int | None
    problem: str


def verify_chain(
    events: Iterable[ExecutionEvent], record_id: str, *, head: ChainHead
) -> list[ChainBreak]:
    """Every break in one record's chain (events in seq order, ``head`` from the record);
    empty when intact."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    expected_seq = 1
    last: ExecutionEvent | None = None
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
        last = event
    breaks.extend(_head_breaks(last, record_id, head))
    return breaks


def _head_breaks(last: ExecutionEvent | None, record_id: str, head: ChainHead) -> list[ChainBreak]:
    """The chain must end where the record says: removing the latest events, or rewriting the
    whole chain, leaves every remaining link intact but not this one."""
    if last is None:
        if head.seq == 0:
            return []
        problem = f"the record's chain ends at event {head.seq} but no event was found"
        return [ChainBreak(record_id, head.seq, None, problem)]
    if last.seq != head.seq:
        problem = (
            f"the record's chain ends at event {head.seq} but the last event found is {last.seq}"
        )
        return [ChainBreak(record_id, last.seq, last.pk, problem)]
    if last.hash != head.hash:
        problem = "the record's chain ends at another event than this one (its hash differs)"
        return [ChainBreak(record_id, last.seq, last.pk, problem)]
    return []


@dataclass
class VerifyResult:
    records: int
    events: int
    breaks: list[ChainBreak]


def verify_records(*, record_id: Any = None, batch_size: int = 2000) -> VerifyResult:
    """Verifies the chains of every record (or one), streaming events in record order, each
    with its record's head; then the records whose head names events but that have none."""
    events = ExecutionEvent.objects.order_by("record_id", "seq").annotate(
        head_seq=F("record__audit_seq"), head_hash=F("record__audit_head")
    )
    emptied = ExecutionRecord.objects.filter(audit_seq__gt=0).exclude(
        Exists(ExecutionEvent.objects.filter(record=OuterRef("pk")))
    )
    if record_id is not None:
        events = events.filter(record_id=record_id)
        emptied = emptied.filter(pk=record_id)
    result = VerifyResult(records=0, events=0, breaks=[])
    current: Any = None
    chain: list[ExecutionEvent] = []

    def close() -> None:
        if current is not None:
            result.records += 1
            head = ChainHead(chain[0].head_seq, chain[0].head_hash)  # type: ignore[attr-defined]
            result.breaks.extend(verify_chain(chain, str(current), head=head))

    for event in events.iterator(chunk_size=batch_size):
        if event.record_id != current:
            close()
            current, chain = event.record_id, []
        chain.append(event)
        result.events += 1
    close()
    for pk, seq, head_hash in emptied.values_list("pk", "audit_seq", "audit_head"):
        result.records += 1
        result.breaks.extend(verify_chain([], str(pk), head=ChainHead(seq, head_hash)))
    return result
