#!/usr/bin/env python3
"""Verifies the audit chain in record.json of an OpsCore export, with no OpsCore needed.

    python3 verify_chain.py            # in the unpacked bundle
    sha256sum -c SHA256SUMS            # verifies every file of the bundle

Each event's hash is the SHA-256 of a canonical JSON form of its content and the hash of the
event before it; changing, removing or reordering any event breaks the chain from there on.
The chain must end at its head (the seq and hash of the record's latest event, as OpsCore held
them), so removing the last events breaks it too.
"""

import hashlib
import json
import sys
from pathlib import Path


def canonical(record_id, event):
    content = {
        "record": record_id,
        "seq": event["seq"],
        "actor": event["actor"],
        "action": event["action"],
        "data": event["data"],
        "created_at": event["created_at"],
        "prev_hash": event["prev_hash"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def head_problems(head, events):
    """The chain ends at the head: its last event has the head's seq and hash."""
    if not head:
        return ["record.json names no head, so the end of the chain cannot be checked"]
    if not events:
        return [f"the record's chain ends at event {head['seq']} but no event was found"]
    last = events[-1]
    if last["seq"] != head["seq"]:
        return [
            f"event {last['seq']}: the record's chain ends at event {head['seq']} "
            f"but the last event found is {last['seq']}"
        ]
    if last["hash"] != head["hash"]:
        return [f"event {last['seq']}: the record's chain ends at another event than this one"]
    return []


def main():
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "record.json")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    record_id = bundle["record"]["id"]
    previous, problems = "", []
    events = bundle["audit_chain"]["events"]
    for expected_seq, event in enumerate(events, start=1):
        if event["seq"] != expected_seq:
            problems.append(f"event {event['seq']}: expected event {expected_seq} here")
        if event["prev_hash"] != previous:
            problems.append(f"event {event['seq']}: does not link to the event before it")
        if hashlib.sha256(canonical(record_id, event)).hexdigest() != event["hash"]:
            problems.append(f"event {event['seq']}: content does not match its hash")
        previous = event["hash"]
    problems.extend(head_problems(bundle["audit_chain"].get("head"), events))
    for problem in problems:
        print(f"BROKEN {problem}")
    print(f"{len(events)} events, {'chain intact' if not problems else 'chain BROKEN'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
