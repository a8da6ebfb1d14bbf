"""The Share dialog's endpoints and the plain share page. Thin: parse, call a service, render.

The Share button fetches the form into the execution page's dialog with htmx; saving posts
here and gets back the fresh form plus out-of-band parts (the Access fact, the timeline, a
message). Without JavaScript the button is a link to the same form on a page of its own,
which saves and redirects back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from executions.models import ExecutionRecord
from executions.selectors import record_events
from executions.timeline import describe
from opscore.http import HtmxHttpRequest
from sharing import selectors, services
from sharing.forms import parse_share_form
from sharing.policy import get_editable_record
from sharing.selectors import Sharing

FORM = "sharing/includes/form.html#share-form"


def _saved_message(sharing: Sharing) -> str:
    if sharing.is_shared:
        return f"Shared with {sharing.audience}, read-only."
    return "This record is private: only you and administrators can see it."


@require_http_methods(["GET", "POST"])
def share_edit(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    record = get_editable_record(
        request.user, pk, ExecutionRecord.objects.select_related("executor")
    )
    context: dict[str, Any] = {"record": record, "section": "executions"}
    if request.method == "GET":
        context.update(form=selectors.sharing_of(record), in_dialog=bool(request.htmx))
        return render(request, FORM if request.htmx else "sharing/page.html", context)
    submitted = parse_share_form(request.POST)
    try:
        sharing = services.share_set(
            record=record,
            user=request.user,
            access_scope=submitted.access_scope,
            usernames=submitted.users,
            group_names=submitted.groups,
        )
    except ValidationError as exc:
        context.update(form=submitted, errors=exc.message_dict, in_dialog=bool(request.htmx))
        return render(request, FORM if request.htmx else "sharing/page.html", context, status=400)
    messages.success(request, _saved_message(sharing))
    if not request.htmx:
        return redirect(record)
    record.access_scope = sharing.access_scope
    context.update(
        form=sharing,
        sharing=sharing,
        in_dialog=True,
        timeline=[describe(e) for e in record_events(record)],
    )
    response = render(request, "sharing/saved.html", context)
    response["HX-Trigger"] = "sharing-saved"  # sharing.js closes the dialog
    return response


@require_safe
def share_suggest(request: HtmxHttpRequest, pk: Any, kind: str) -> HttpResponse:
    """Suggestions for the people or group picker, as the executor types."""
    if kind not in ("users", "groups"):
        raise Http404("No such picker.")
    record = get_editable_record(request.user, pk)
    # Without a picked suggestion the field may hold several names: suggest for the last.
    query = request.GET.get(f"add_{kind}", "").split(",")[-1].strip()
    if not query:
        return HttpResponse("")  # empty: the popover hides itself
    chosen = request.GET.getlist(kind)
    if kind == "users":
        items = list(selectors.user_suggestions(record, query, exclude=chosen))
    else:
        items = list(selectors.group_suggestions(query, exclude=chosen))
    return render(
        request,
        "sharing/includes/suggestions.html",
        {"kind": kind, "query": query, "items": items, "record": record},
    )
