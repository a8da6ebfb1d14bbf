"""What the Executions page shows around a search: dropdown options, chips, links that keep
the other parameters, counts. Pure presentation; the search itself is executions.search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Page
from django.http import QueryDict
from django.urls import reverse

from executions.filters import ORDERINGS, SCOPES, ExecutionFilter
from executions.models import ExecutionRecord
from executions.search import SearchResults
from procedures.models import Procedure
from sharing.policy import can_edit

# Parameters that narrow the results (the rest only choose the view of them).
NARROWING = ("q", "procedure", "procedure_title", "executor", "executor_name", "status",
             "started_after", "started_before", "var")  # fmt: skip


@dataclass(frozen=True)
class Chip:
    """An active filter, with the link that removes it."""

    label: str
    remove_url: str
    mono: bool = False


def page_url(params: QueryDict, **changes: Any) -> str:
    """This page with ``params`` changed: a value replaces, None removes, a list repeats."""
    query = params.copy()
    query.pop("page", None)
    for name, value in changes.items():
        query.pop(name, None)
        if isinstance(value, list):
            query.setlist(name, value)
        elif value is not None:
            query[name] = value
    for name in [n for n, v in query.lists() if not any(v)]:
        query.pop(name)  # empty fields of a plain form submission
    encoded = query.urlencode()
    return reverse("executions:list") + (f"?{encoded}" if encoded else "")


def _chips(params: QueryDict) -> list[Chip]:
    chips = []
    for name in NARROWING:
        values = [v for v in params.getlist(name) if v.strip()]
        for value in values:
            rest = [v for v in values if v != value]
            remove = page_url(params, **{name: rest if len(values) > 1 else None})
            label = value if name == "var" else f"{name.replace('_', ' ')}: {value}"
            chips.append(Chip(label=label, remove_url=remove, mono=name == "var"))
    return chips


def _errors(filterset: ExecutionFilter) -> list[str]:
    """Each bad parameter's messages, named as the parameter is named in the URL."""
    messages = []
    for name, errors in filterset.errors.items():
        for message in errors:
            messages.append(message if message.startswith(name) else f"{name}: {message}")
    return messages


def _count_text(page: Page) -> str:
    """ "1,234", or "10,000+" when the count stopped at its cap."""
    paginator = page.paginator
    results = paginator.object_list
    capped = isinstance(results, SearchResults) and results.capped
    return intcomma(paginator.count) + ("+" if capped else "")


def search_page_context(
    request: Any, filterset: ExecutionFilter, page: Page | None
) -> dict[str, Any]:
    params = request.GET
    form = filterset.form
    scope = params.get("scope") if params.get("scope") in dict(SCOPES) else "all"
    executor = params.get("executor", "")
    users = list(
        get_user_model().objects.filter(is_active=True).order_by("username")
        .values_list("username", flat=True)
    )  # fmt: skip
    if executor and executor not in users:
        users.insert(0, executor)  # an id or unknown name from a link keeps its place
    if page is not None:
        for record in page.object_list:
            record.editable = can_edit(request.user, record)
            # The same rule as executions.retention.execution_delete: the executor, no hold.
            record.deletable = record.editable and not record.legal_hold
    pairs = [v for v in params.getlist("var") if v.strip()]
    statuses = dict(ExecutionRecord.Status.choices)
    chosen = [statuses[v] for v in params.getlist("status") if v in statuses]
    narrowed = any(v.strip() for name in NARROWING for v in params.getlist(name))
    return {
        "section": "executions",
        "form": form,
        "errors": _errors(filterset) if form.is_bound and not filterset.is_valid() else [],
        "page": page,
        "count_text": _count_text(page) if page is not None else "",
        "narrowed": narrowed,
        "chips": _chips(params),
        "clear_url": page_url(params, **dict.fromkeys(NARROWING)),
        "scopes": [(value, label, page_url(params, scope=value)) for value, label in SCOPES],
        "scope": scope,
        "orderings": ORDERINGS,
        "ordering": params.get("ordering") or "-started_at",
        "procedures": Procedure.objects.order_by("title", "id").values_list("pk", "title"),
        "users": users,
        "statuses": ExecutionRecord.Status.choices,
        "status_summary": ", ".join(chosen) or "Any status",
        "var_chips": [
            (pair, page_url(params, var=[p for p in pairs if p != pair])) for pair in pairs
        ],
        "values": {
            "q": params.get("q", ""),
            "procedure": params.get("procedure", ""),
            "executor": executor,
            "status": params.getlist("status"),
            "started_after": params.get("started_after", ""),
            "started_before": params.get("started_before", ""),
        },
        "prev_url": page_url(params, page=str(page.previous_page_number()))
        if page is not None and page.has_previous()
        else "",
        "next_url": page_url(params, page=str(page.next_page_number()))
        if page is not None and page.has_next()
        else "",
    }
