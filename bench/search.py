"""Times the Executions search's first page (SPEC section 12: p50 under 50 ms for each filter at
1,000,000 records, and at most twice the time of its own SQL), on data from generate_load.

    createdb opscore_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/opscore_bench
    DEBUG=1 .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py generate_load --records 1000000
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
from datetime import timedelta

from _setup import database_label, django_setup, timed

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
    parser.add_argument(
        "--hard-case",
        metavar="USER",
        help="print the plans of USER's first page: the single policy query and the search's",
    )
    args = parser.parse_args()
    django_setup()

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.signals import request_started
    from django.db import reset_queries
    from django.test import Client
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
    if args.hard_case:
        hard_case(User.objects.get(username=args.hard_case))
        return
    print(f"{'user':<12} {'case':<18} {'p50':>6} {'p95':>6} {'view':>6} {'q':>2} {'sql':>6} "
          f"{'ratio':>5} {'count':>7}  page plan")  # fmt: skip
    failures = []
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        kinds = ["api", "page"] if args.page else ["api"]
        for name, query in cases:
            for kind in kinds:
                row = measure(client, user.pk, kind, query, args.repeat)
                label = name if kind == "api" else f"{name} (page)"
                ok = row["p50"] < 50 and row["ratio"] <= 2
                if not ok:
                    failures.append((username, label))
                print(f"{username:<12} {label:<18} {row['p50']:6.1f} {row['p95']:6.1f} "
                      f"{row['view']:6.1f} {row['queries']:2d} {row['sql']:6.1f} "
                      f"{row['ratio']:5.1f} {row['count']:>7}  {row['plan']}"
                      f"{'' if ok else '  <-- over budget'}")  # fmt: skip
                if args.explain and kind == "api":
                    for sql in row["search_sql"]:
                        print(explain(sql))
    print("p50, p95: the whole request through the test client (session, middleware, search,")
    print("  rendering); view: the view alone (user loaded, search, rendering), its q queries")
    print("  taking sql ms when run directly; ratio = view / sql.")
    print("budget: p50 under 50 ms and ratio at most 2")
    print(f"over budget: {failures or 'none'}")


def measure(client, user_id, kind, query, repeat):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory, force_authenticate

    from executions.api import ExecutionListCreate
    from executions.views import execution_list

    path = "/api/v1/executions/" if kind == "api" else "/executions/"
    url = f"{path}?{query}" if query else path
    api_view = ExecutionListCreate.as_view()

    def view() -> object:
        # What the server does for the search: the user (as the session middleware would
        # load it), the view, the rendering. No test client, no other middleware.
        user = User.objects.get(pk=user_id)
        if kind == "api":
            request = APIRequestFactory().get(url)
            force_authenticate(request, user=user)
            response = api_view(request)
        else:
            from django.test import RequestFactory
            from django_htmx.middleware import HtmxDetails

            request = RequestFactory().get(url)
            request.user = user
            request.htmx = HtmxDetails(request)
            response = execution_list(request)
        if hasattr(response, "render"):
            response.render()
        assert response.status_code == 200, (url, response.status_code)
        return response

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    view()
    with CaptureQueriesContext(connection) as queries:
        view()
    # With psycopg 3's client-side binding, Django logs each statement with its values in it.
    statements = [q["sql"] for q in queries.captured_queries]
    raw = connection.cursor().cursor  # psycopg's own cursor: the SQL alone, no Django layers

    def run_sql() -> None:
        for statement in statements:
            raw.execute(statement)
            if raw.description:
                raw.fetchall()

    # Alternated, so that all three see the machine in the same state: the ratio compares them.
    samples, view_samples, sql_samples = [], [], []
    for _ in range(repeat):
        samples += timed(lambda: client.get(url), 1)
        view_samples += timed(view, 1)
        sql_samples += timed(run_sql, 1)
    body = response.json() if kind == "api" else {}
    count = f"{body.get('count', '')}{'+' if body.get('count_capped') else ''}"
    search_sql = [s for s in statements if "UNION ALL" in s or "AS matches" in s
                  or " AS p0" in s]  # fmt: skip
    page_sql = next((s for s in search_sql if "AS u ORDER BY" in s), "")
    view_p50, sql = statistics.median(view_samples), statistics.median(sql_samples)
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "view": view_p50,
        "queries": len(statements),
        "sql": sql,
        "ratio": view_p50 / sql if sql else 0,
        "count": count,
        "plan": plan_summary(page_sql) if page_sql else "",
        "search_sql": search_sql,
    }


def hard_case(user) -> None:  # type: ignore[no-untyped-def]
    """The first page of someone who sees a few records among a million, as one query over
    visible_to (executor = me OR EXISTS share...) and as the search shapes it."""
    from django.http import QueryDict

    from executions.filters import ExecutionFilter
    from executions.search import execution_search
    from sharing.policy import visible_to

    single = visible_to(user).order_by("-started_at", "-id").values_list("id")[:25]
    sql, params = single.query.sql_with_params()
    print("-- one query over visible_to(user):")
    print(explain_with_params(sql, params))
    filterset = ExecutionFilter(QueryDict(), queryset=None)
    assert filterset.is_valid()
    results = execution_search(user=user, filterset=filterset)
    sql, params = results._page_ids_sql(0, 25)
    print("-- the search's page ids (parts ordered and limited, merged):")
    print(explain_with_params(sql, params))


def explain_with_params(sql: str, params) -> str:  # type: ignore[no-untyped-def]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_summary(sql: str) -> str:
    """The record indexes the page query reads, and whether it merges the parts in order."""
    plan = explain(sql, analyze=False)
    indexes = re.findall(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? on (\w+)"
                         r"|using (\w+)", plan)  # fmt: skip
    names = []
    for a, b in indexes:
        name = (b or a).replace("executions_executionrecord_", "").replace("exec_live_", "")
        # Not the joins for a row's procedure, version and executor, nor its shares' names.
        if name not in names and not name.startswith(("procedures_", "auth_user", "unique_")):
            names.append(name)
    shape = "merge" if "Merge Append" in plan else "sort" if "Sort" in plan else ""
    return " ".join(names) + (f" [{shape}]" if shape else "")


def explain(sql: str, analyze: bool = True) -> str:
    from django.db import connection

    options = "ANALYZE, BUFFERS, COSTS OFF" if analyze else "COSTS OFF"
    with connection.cursor() as cursor:
        cursor.cursor.execute(f"EXPLAIN ({options}) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    main()
