"""Times the procedure page (latest runs, run counts), its history and Run again at scale.

Run on PostgreSQL for meaningful figures:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opscore_bench .venv/bin/python \
        bench/procedure_page.py --records 200000
One procedure gets ``--records`` runs over two versions: alice runs most, charlie a few, bob
sees a few of alice's through shares, admin sees all. Prints each page's median and p95 server
time and its query count, per user, and the version diff's first (uncached) and later times.
"""

from __future__ import annotations

import argparse
import time

from _setup import database_label, django_setup, summary, throwaway_database, timed

BODY = """---
variables:
  server: {required: true}
  port: {type: number, default: 443}
  environment: {type: choice, choices: [staging, production], default: staging}
---
# Bench procedure on {{ server }}

""" + "\n".join(
    f"{n}. Step {n} on {{{{ server }}}} port {{{{ port }}}}.\n\n   ```\n   $ run {n} {{{{ server }}}}\n   ```\n"
    for n in range(1, 101)
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth.models import User
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from executions.models import ExecutionRecord
    from procedures.diff import _diff, version_diff
    from procedures.models import Procedure

    with throwaway_database(keep=args.keep):
        if not User.objects.exists():
            _generate(args.records)
        alice, bob, charlie, admin = (User.objects.get(username=n) for n in
                                      ("alice", "bob", "charlie", "admin"))  # fmt: skip
        procedure = Procedure.objects.get()
        v1, v2 = procedure.versions.order_by("number")
        old = ExecutionRecord.objects.filter(procedure_version=v1, executor=alice).first()
        runs = ExecutionRecord.objects.count()
        print(f"{database_label()}: {runs:,} runs of one procedure, 2 versions")
        # Django clears the query log when each request starts; keep it to count queries.
        request_started.disconnect(reset_queries)

        pages = {
            "procedure page": reverse("procedures:detail", args=[procedure.pk]),
            "history": reverse("procedures:history", args=[procedure.pk]),
            "run again page": f"{reverse('procedures:detail', args=[procedure.pk])}?from={old.pk}",
        }
        for user in (alice, bob, charlie, admin):
            client = Client()
            client.force_login(user)
            for name, url in pages.items():
                if name == "run again page" and user in (charlie, bob):
                    continue  # not visible to them
                assert client.get(url).status_code == 200
                reset_queries()  # a full log (9,000 entries) would hide the new ones
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                sql = [float(q["time"]) * 1000 for q in queries.captured_queries]
                samples = timed(lambda url=url, client=client: client.get(url), args.repeat)
                print(f"{user.username:8} {name:15} {summary(samples)}  {len(sql)} queries, "
                      f"SQL {sum(sql):.1f} ms (slowest {max(sql):.1f} ms)")  # fmt: skip

        _diff.cache_clear()
        began = time.perf_counter()
        version_diff(v1, v2)
        first = (time.perf_counter() - began) * 1000
        print(f"version diff (100 steps): first {first:.1f} ms, then "
              f"{summary(timed(lambda: version_diff(v1, v2), args.repeat))}")  # fmt: skip


def _generate(records: int) -> None:
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from executions.models import ExecutionRecord
    from procedures.services import procedure_create, procedure_version_add
    from sharing.models import Share

    alice = User.objects.create_user("alice", password="x")
    bob = User.objects.create_user("bob", password="x")
    charlie = User.objects.create_user("charlie", password="x")
    User.objects.create_user("admin", password="x", is_superuser=True)
    procedure = procedure_create(title="Bench", body=BODY, user=alice)
    v1 = procedure.latest_version
    body2 = (
        BODY.replace("[staging, production]", "[staging, prod]").replace(
            "50. Step 50", "50. Step fifty, carefully,"
        )
        + "\n101. Report.\n"
    )
    v2, _ = procedure_version_add(procedure=procedure, body=body2, user=alice)
    start = timezone.now() - timedelta(days=365)
    values = {"server": "web-042", "port": "443", "environment": "production"}
    batch: list[ExecutionRecord] = []
    for n in range(records):
        batch.append(
            ExecutionRecord(
                procedure=procedure,
                procedure_version=v1 if n < records // 2 else v2,
                executor=charlie if n % 1000 == 0 else alice,
                title=f"Run {n}",
                status=("completed", "failed", "in_progress")[n % 3],
                started_at=start + timedelta(seconds=n * 30),
                variables=values,
            )
        )
        if len(batch) == 5000:
            ExecutionRecord.objects.bulk_create(batch)
            batch = []
    ExecutionRecord.objects.bulk_create(batch)
    for record in ExecutionRecord.objects.filter(executor=alice).order_by("?")[:20]:
        Share.objects.create(record=record, user=bob)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
