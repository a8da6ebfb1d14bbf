"""Times the Executions search's first page (SPEC section 12: p50 under 50 ms for each filter at
1,000,000 records, and at most twice the time of its own SQL), on data from generate_load.

    createdb opscore_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/opscore_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py generate_load --records 1000000
    .venv/bin/python bench/search.py [--repeat 30] [--explain] [--only q,var] [--page]

For each user (an administrator; bob, who sees his own runs and his group's shares; auditor, who
sees five records among the million) and each case, it prints the server time of the API's first
page (p50, p95; through the test client: middleware, session, search, serialisation), the number
of queries, the time of the same SQL statements run directly on the connection, the ratio of the
two, and the indexes in the plan of the page query. --page times the HTML page as well;
--explain prints the plans of the count and page queries.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import timedelta

from _setup import database_label, django_setup

CASES = [
    ("default", ""),
    ("q word", "q=drained"),
    ("q host", "q=web-042"),
    ("q phrase", 'q="replica lag"'),
    ("q rare", "q=CHG-4242"),
    ("procedure", "procedure={tls}"),
    ("procedure_title", "procedure_title=kernel"),
    ("executor", "executor=alice"),
    ("executor_name", "executor_name=ali"),
    ("status", "status=failed"),
    ("status x2", "status=failed&status=in_progress"),
    ("dates month", "started_after={month_ago}&started_before={today}"),
    ("dates day", "started_after={day}&started_before={day}"),
    ("var host", "var=server=web-042"),
    ("var region", "var=region=eu-west-1"),
    ("var x2", "var=cluster=pg-main&var=region=us-east-1"),
    ("var none", "var=server=web-999"),
    ("scope mine", "scope=mine"),
    ("scope shared", "scope=shared"),
    ("order title", "ordering=title"),
    ("order -completed", "ordering=-completed_at"),
    ("order status", "ordering=status"),
    ("q+status", "q=web-042&status=completed"),
    ("var+dates", "var=region=eu-west-1&started_after={month_ago}"),
    ("proc+exec+status", "procedure={tls}&executor=alice&status=failed"),
    ("q+var+order", "q=drained&var=region=us-west-2&ordering=title"),
    ("mine+q", "scope=mine&q=timeout"),
]
USERS = ["bench-admin", "bob", "auditor"]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print the plans")
    parser.add_argument("--page", action="store_true", help="also time the HTML page")
    parser.add_argument("--only", default="", help="comma-separated case names (substrings)")
    parser.add_argument("--users", default=",".join(USERS))
    args = parser.parse_args()
    django_setup()

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from procedures.models import Procedure

    settings.ALLOWED_HOSTS = ["*"]
    request_started.disconnect(reset_queries)  # keep the query log across the request
    User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    today = timezone.localdate()
    values = {
        "tls": Procedure.objects.get(title="Rotate TLS certificate").pk,
        "today": today.isoformat(),
        "month_ago": (today - timedelta(days=30)).isoformat(),
        "day": (today - timedelta(days=200)).isoformat(),
    }
    only = [o for o in args.only.split(",") if o]
    cases = [(n, q.format(**values)) for n, q in CASES if not only or any(o in n for o in only)]
    from executions.models import ExecutionRecord

    print(f"database: {database_label()}, {ExecutionRecord.objects.count():,} records")
    print(f"{'user':<12} {'case':<18} {'p50':>7} {'p95':>7} {'q':>3} {'sql':>7} {'ratio':>5} "
          f"{'count':>7}  page plan")  # fmt: skip
    failures = []
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        endpoints = [("api", "/api/v1/executions/")]
        if args.page:
            endpoints.append(("page", "/executions/"))
        for name, query in cases:
            for kind, path in endpoints:
                url = f"{path}?{query}" if query else path
                row = measure(client, url, args.repeat, connection, CaptureQueriesContext)
                label = name if kind == "api" else f"{name} (page)"
                ok = row["p50"] < 50 and row["ratio"] <= 2
                if not ok:
                    failures.append((username, label))
                print(f"{username:<12} {label:<18} {row['p50']:7.1f} {row['p95']:7.1f} "
                      f"{row['queries']:3d} {row['sql']:7.1f} {row['ratio']:5.1f} "
                      f"{row['count']:>7}  {row['plan']}{'' if ok else '  <-- over budget'}")  # fmt: skip
                if args.explain and kind == "api":
                    for sql in row["search_sql"]:
                        print(explain(connection, sql))
    print("budget: p50 under 50 ms and at most 2x its own SQL (ratio)")
    print(f"over budget: {failures or 'none'}")


def measure(client, url, repeat, connection, capture):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    with capture(connection) as queries:
        response = client.get(url)
    # With psycopg 3's client-side binding, Django logs each statement with its values in it.
    statements = [q["sql"] for q in queries.captured_queries]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    sql_samples = []
    raw = connection.cursor().cursor  # psycopg's own cursor: the SQL alone, no Django layers
    for _ in range(repeat):
        start = time.perf_counter()
        for statement in statements:
            raw.execute(statement)
            if raw.description:
                raw.fetchall()
        sql_samples.append((time.perf_counter() - start) * 1000)
    body = response.json() if url.startswith("/api/") else {}
    count = f"{body.get('count', '')}{'+' if body.get('count_capped') else ''}"
    search_sql = [s for s in statements if "UNION ALL" in s or "AS matches" in s
                  or " AS p0" in s]  # fmt: skip
    page_sql = next((s for s in search_sql if "AS u ORDER BY" in s), "")
    p50, sql = statistics.median(samples), statistics.median(sql_samples)
    return {
        "p50": p50,
        "p95": percentile(samples, 0.95),
        "queries": len(statements),
        "sql": sql,
        "ratio": p50 / sql if sql else 0,
        "count": count,
        "plan": plan_summary(connection, page_sql) if page_sql else "",
        "search_sql": search_sql,
    }


def plan_summary(connection, sql: str) -> str:  # type: ignore[no-untyped-def]
    plan = explain(connection, sql, analyze=False)
    indexes = re.findall(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? on (\w+)"
                         r"|using (\w+)", plan)  # fmt: skip
    names = []
    for a, b in indexes:
        name = (b or a).replace("executions_executionrecord_", "").replace("exec_live_", "")
        if name not in names:
            names.append(name)
    shape = "merge" if "Merge Append" in plan else "sort" if "Sort" in plan else ""
    return " ".join(names) + (f" [{shape}]" if shape else "")


def explain(connection, sql: str, analyze: bool = True) -> str:  # type: ignore[no-untyped-def]
    options = "ANALYZE, BUFFERS, COSTS OFF" if analyze else "COSTS OFF"
    with connection.cursor() as cursor:
        cursor.cursor.execute(f"EXPLAIN ({options}) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    main()
