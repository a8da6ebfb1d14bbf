"""Times the execution page with 100 steps (SPEC section 12: under 100 ms) and counts queries.

Run on PostgreSQL for the budget's figures:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opscore_bench .venv/bin/python bench/execution_page.py
Prints the page's median and p95 server time over repeated requests and its query count.
"""

from __future__ import annotations

import argparse
import time

from _setup import database_label, django_setup, summary, throwaway_database, timed

BODY = """---
variables:
  server: {required: true}
  port: {type: number, default: 443}
---
# Bench procedure on {{ server }}

""" + "\n".join(
    f"{n}. Step {n} on {{{{ server }}}} port {{{{ port }}}}.\n\n   ```\n   $ run {n} {{{{ server }}}}\n   ```\n"
    for n in range(1, 101)
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--attachments", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of 10 requests")
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth.models import User
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from executions import services
    from procedures.services import procedure_create

    with throwaway_database():
        alice = User.objects.create_user("alice", password="x")
        procedure = procedure_create(title="Bench", body=BODY, user=alice)
        record = services.execution_start(
            version=procedure.latest_version, user=alice, values={"server": "web-042"}
        )
        for number in range(1, 51):
            services.execution_step_set_done(record=record, user=alice, number=number, done=True)
        attachments = _add_attachments(record, alice, args.attachments)
        steps = record.steps.count()
        # Django clears the query log when each request starts; keep it to count queries.
        request_started.disconnect(reset_queries)
        client = Client()
        client.force_login(alice)
        url = record.get_absolute_url()
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries.captured_queries)
        samples = timed(lambda: client.get(url), args.repeat)
        # Process CPU time too: on a busy machine wall time includes waiting for a core
        # (it leaves out the database server's own time).
        cpu = []
        for _ in range(args.repeat):
            start = time.process_time()
            client.get(url)
            cpu.append((time.process_time() - start) * 1000)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lambda: [client.get(url) for _ in range(10)])
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        print(f"database: {database_label()}")
        print(f"execution page, {steps} steps, {attachments} attachments: {summary(samples)}")
        print(f"queries per page: {query_count}")
        print(f"web process CPU per page: p50 {sorted(cpu)[len(cpu) // 2]:.1f} ms")
        print("budget: p50 under 100 ms")


def _add_attachments(record, user, count: int) -> int:  # type: ignore[no-untyped-def]
    """Attachment rows for the page to list, once the attachments app has its model."""
    try:
        from attachments.models import Attachment
    except ImportError:
        return 0
    import hashlib
    import uuid

    rows = []
    for index in range(count):
        attachment_id = uuid.uuid4()
        fields = {
            "id": attachment_id,
            "record": record,
            "step_number": index % 100 + 1,
            "file_name": f"screenshot-{index}.png",
            "size": 1024,
            "mime_type": "image/png",
            "sha256": hashlib.sha256(str(index).encode()).hexdigest(),
            "storage_type": "local",
            "storage_key": f"{record.pk}/{attachment_id}",
            "uploaded_by": user,
            "thumbnail_status": "ready",
        }
        rows.append(Attachment(**{k: v for k, v in fields.items() if _has_field(Attachment, k)}))
    Attachment.objects.bulk_create(rows)
    return count


def _has_field(model, name: str) -> bool:  # type: ignore[no-untyped-def]
    return any(f.name == name for f in model._meta.get_fields())


if __name__ == "__main__":
    main()
