"""The execution pages. Thin: parse the request, call a service or selector, render.

One template serves the full page and its htmx fragments. Routine actions (save, step done,
add step) answer with fragments and out-of-band swaps that never touch the user's unsaved
text; lifecycle actions (complete, fail, reopen) answer with the page, from which htmx selects
the record. Without JavaScript every action posts the page's form and redirects back.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from attachments.selectors import by_step, record_attachments
from executions import retention, selectors, services
from executions.export import execution_export, export_filename
from executions.filters import ExecutionFilter
from executions.forms import DraftInput, parse_draft
from executions.models import ExecutionRecord
from executions.rerun import RerunPlan, rerun_plan
from executions.search import PAGE_SIZE, execution_search
from executions.search_page import search_page_context
from executions.timeline import describe
from opscore.exceptions import Conflict
from opscore.http import HtmxHttpRequest
from procedures.diff import VersionDiff, version_diff
from procedures.forms import FIELD_PREFIX, VariablesForm
from procedures.models import ProcedureVersion
from procedures.rendering import render_inline, render_markdown
from procedures.views import page_context as procedure_page_context
from sharing.policy import can_edit
from sharing.selectors import Sharing, is_shared_with, sharing_of

RECORD_FORM = "record-form"


def _record_context(
    request: HttpRequest,
    record: ExecutionRecord,
    *,
    draft: DraftInput | None = None,
    errors: dict[str, list[str]] | None = None,
    by_variable: dict[str, list[str]] | None = None,
    conflict: Conflict | None = None,
) -> dict[str, Any]:
    """Everything the page shows; ``draft`` puts the user's unsaved text back on screen."""
    document = record.procedure_version.document
    editable = can_edit(request.user, record)
    steps = selectors.record_steps(record)
    progress = selectors.progress_of(steps)
    values = dict(record.variables)
    form_data = None
    if draft is not None and draft.variables is not None:
        values.update(draft.variables)
        form_data = {FIELD_PREFIX + k: v for k, v in draft.variables.items()}
    variables_read_only = not (editable and not record.is_finished)
    variables_form = VariablesForm(
        document,
        form_data,
        initial_values=record.variables,
        read_only=variables_read_only,
        form_id=RECORD_FORM,
    )
    for name, messages_ in (by_variable or {}).items():
        if FIELD_PREFIX + name in variables_form.fields:
            variables_form.add_error(FIELD_PREFIX + name, messages_)
    step_notes = draft.step_notes if draft else {}
    # One reverse() for all steps: a URL tag per step is most of a 100-step page's render time.
    done_url = reverse("executions:step-done", args=[record.pk, 999999])
    evidence = by_step(record_attachments(record))  # one query for every file of the record
    # The template reads these page-only values from each step, set on the instances as Django
    # code commonly does; the stubs know only the model's fields, hence the ignores.
    for step in steps:
        step.attachments = evidence.get(step.number, [])  # type: ignore[attr-defined]
        step.done_url = done_url.replace("/999999/", f"/{step.number}/")  # type: ignore[attr-defined]
        step.description_html = mark_safe(render_inline(document, step.description, values))  # type: ignore[attr-defined]
        step.draft_notes = step_notes.get(step.number, step.notes)  # type: ignore[attr-defined]
        step.is_current = not record.is_finished and step.number == progress.current  # type: ignore[attr-defined]
    marks = selectors.step_marks(record, steps, progress)
    # Only full pages show who it is shared with; the htmx fragments never pay the query.
    # The lazy object stands in for the Sharing it evaluates to (the stubs cannot say so).
    sharing = cast(Sharing, SimpleLazyObject(lambda: sharing_of(record)))
    return {
        "record": record,
        "document": document,
        "document_html": mark_safe(render_markdown(document, values, step_marks=marks)),
        "form": variables_form,
        "variables_read_only": variables_read_only,
        "steps": steps,
        "progress": progress,
        "timeline": [describe(e) for e in selectors.record_events(record)],
        "editable": editable,
        "sharing": sharing,
        "is_shared_with_user": not editable and is_shared_with(request.user, sharing),
        "can_change_evidence": editable and not record.is_finished,
        "record_attachments": evidence.get(None, []),
        "draft_title": draft.title if draft and draft.title is not None else record.title,
        "draft_notes": draft.notes if draft and draft.notes is not None else record.notes,
        "errors": errors or {},
        "conflict": conflict,
        "is_latest_version": record.procedure_version_id == record.procedure.latest_version_id,
        "version_diff": _since(record),
        "section": "executions",
    }


def _since(record: ExecutionRecord) -> VersionDiff | None:
    """What changed in the procedure since the version this record ran (None if nothing)."""
    latest = record.procedure.latest_version
    if latest is None or latest.pk == record.procedure_version_id:
        return None
    return version_diff(record.procedure_version, latest)


def _rerun_source(request: HttpRequest, version: ProcedureVersion) -> RerunPlan | None:
    """The earlier run a Run again form came from, if there was one and it is still visible."""
    if not request.POST.get("from"):
        return None
    try:
        return rerun_plan(user=request.user, record_id=request.POST["from"], version=version)
    except Http404:
        return None  # unshared since the form was shown: start the run, just without the link


@require_POST
def execution_start(request: HttpRequest) -> HttpResponse:
    version = get_object_or_404(
        ProcedureVersion.objects.select_related("procedure"),
        pk=request.POST.get("procedure_version") or 0,
    )
    form = VariablesForm(version.document, request.POST, form_id="start-form")
    title = request.POST.get("title", "")
    rerun = _rerun_source(request, version)
    try:
        record = services.execution_start(
            version=version,
            user=request.user,
            values=form.raw_values(),
            title=title,
            rerun_of=rerun.source if rerun else None,
        )
    except ValidationError as exc:
        for name, errors in getattr(exc, "by_variable", {}).items():
            form.add_error(
                FIELD_PREFIX + name if FIELD_PREFIX + name in form.fields else None, errors
            )
        context = procedure_page_context(version, form, user=request.user, rerun=rerun)
        context["start_errors"] = [m for ms in exc.message_dict.values() for m in ms]
        context["start_title"] = title
        return render(request, "procedures/detail.html", context, status=400)
    messages.success(request, "Execution started. Work through the steps; save as you go.")
    return redirect(record)


@require_safe
def execution_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    record = selectors.record_for_page(request.user, pk)
    return render(request, "executions/detail.html", _record_context(request, record))


def _editable(request: HttpRequest, pk: Any) -> ExecutionRecord:
    record = selectors.record_for_page(request.user, pk)
    if not can_edit(request.user, record):
        raise PermissionDenied("You can view this record but only its executor can change it.")
    return record


def _refused(
    request: HtmxHttpRequest,
    record: ExecutionRecord,
    draft: DraftInput,
    exc: ValidationError | Conflict,
) -> HttpResponse:
    """Shows why an action was refused and keeps every character the user typed."""
    record.refresh_from_db()
    if isinstance(exc, Conflict):
        context = _record_context(request, record, draft=draft, conflict=exc)
        status = 409
    else:
        context = _record_context(
            request,
            record,
            draft=draft,
            errors=exc.message_dict,
            by_variable=getattr(exc, "by_variable", None),
        )
        status = 400
    if request.htmx:
        response = render(request, "executions/refused.html", context, status=status)
        # Only the out-of-band parts (the explanation, the fields with errors) change;
        # the user's text in the form stays exactly as typed.
        response["HX-Reswap"] = "none"
        return response
    return render(request, "executions/detail.html", context, status=status)


def _save_draft(
    request: HttpRequest, record: ExecutionRecord, draft: DraftInput
) -> ExecutionRecord:
    if draft.version is None:
        raise ValidationError({"version": ["The form is missing its version; reload the page."]})
    return services.execution_save_draft(
        record=record, user=request.user, version=draft.version, **draft.as_service_kwargs()
    )


@require_POST
def execution_save(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    record = _editable(request, pk)
    draft = parse_draft(request.POST)
    try:
        saved = _save_draft(request, record, draft)
    except (ValidationError, Conflict) as exc:
        return _refused(request, record, draft, exc)
    if request.htmx:
        context = _record_context(request, saved)
        context["saved_at"] = timezone.now()
        return render(request, "executions/saved.html", context)
    messages.success(request, "Draft saved.")
    return redirect(saved)


def _lifecycle(request: HtmxHttpRequest, pk: Any, action: str) -> HttpResponse:
    """Complete, fail or reopen; complete and fail first save what the form holds."""
    record = _editable(request, pk)
    draft = parse_draft(request.POST)
    try:
        with transaction.atomic():
            if action != "reopen" and draft.has_edits:
                record = _save_draft(request, record, draft)
            if action == "complete":
                record = services.execution_complete(record=record, user=request.user)
                messages.success(request, "Execution completed.")
            elif action == "fail":
                record = services.execution_fail(
                    record=record, user=request.user, reason=request.POST.get("reason", "")
                )
                messages.warning(request, "Execution marked as failed.")
            else:
                record = services.execution_reopen(record=record, user=request.user)
                messages.info(request, "Execution reopened; it is in progress again.")
    except (ValidationError, Conflict) as exc:
        return _refused(request, record, draft, exc)
    return redirect(record)


@require_POST
def execution_complete(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    return _lifecycle(request, pk, "complete")


@require_POST
def execution_fail(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    return _lifecycle(request, pk, "fail")


@require_POST
def execution_reopen(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    return _lifecycle(request, pk, "reopen")


@require_POST
def execution_step_done(request: HtmxHttpRequest, pk: Any, number: int) -> HttpResponse:
    record = _editable(request, pk)
    done = request.POST.get("done") == "1"
    draft = parse_draft(request.POST)
    try:
        with transaction.atomic():
            if not request.htmx and draft.has_edits:
                # Without JavaScript the button posted the whole form: keep the text too.
                record = _save_draft(request, record, draft)
            services.execution_step_set_done(
                record=record, user=request.user, number=number, done=done
            )
    except (ValidationError, Conflict) as exc:
        return _refused(request, record, draft, exc)
    if request.htmx:
        record.refresh_from_db()
        return render(request, "executions/step_toggled.html", _record_context(request, record))
    return redirect(f"{record.get_absolute_url()}#ev-step-{number}")


@require_POST
def execution_step_add(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    record = _editable(request, pk)
    try:
        step = services.execution_step_add(
            record=record, user=request.user, description=request.POST.get("description", "")
        )
    except (ValidationError, Conflict) as exc:
        if request.htmx:
            message = "; ".join(exc.messages if isinstance(exc, ValidationError) else [exc.message])
            context = _record_context(request, record)
            context["add_step_error"] = message
            return render(request, "executions/detail.html#add-step", context, status=400)
        messages.error(request, str(exc.message if isinstance(exc, Conflict) else exc.messages[0]))
        return redirect(record)
    if request.htmx:
        context = _record_context(request, record)
        context["new_step"] = next(s for s in context["steps"] if s.number == step.number)
        return render(request, "executions/step_added.html", context)
    messages.success(request, f"Step {step.number} added.")
    return redirect(f"{record.get_absolute_url()}#ev-step-{step.number}")


@require_safe
def execution_export_download(request: HttpRequest, pk: Any) -> StreamingHttpResponse:
    """The export bundle of a visible record (anyone who can view it may export it)."""
    record = selectors.record_for_page(request.user, pk)
    return export_response(record, request.user)


def export_response(record: ExecutionRecord, user: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        execution_export(record=record, user=user), content_type="application/zip"
    )
    disposition = content_disposition_header(as_attachment=True, filename=export_filename(record))
    assert disposition is not None  # None only when neither as_attachment nor a filename is given
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def execution_delete(request: HttpRequest, pk: Any) -> HttpResponse:
    record = _editable(request, pk)
    try:
        retention.execution_delete(record=record, user=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(record)
    messages.success(
        request, f"“{record.title}” was deleted. An administrator can restore it for a while."
    )
    return redirect("executions:list")


@require_safe
def execution_list(request: HtmxHttpRequest) -> HttpResponse:
    """The search page (SPEC section 7): the full page, or for htmx the part it swaps."""
    filterset = ExecutionFilter(request.GET)
    page: Page[ExecutionRecord] | None = None
    if filterset.is_valid():
        rows = ExecutionRecord.objects.with_list_columns()
        results = execution_search(user=request.user, filterset=filterset, rows=rows)
        # Paginator needs only count() and slices, which SearchResults has; the stubs' protocol
        # also asks for indexing by number and iteration, which pagination never uses.
        paginator: Paginator[ExecutionRecord] = Paginator(results, PAGE_SIZE)  # type: ignore[arg-type]
        page = paginator.get_page(request.GET.get("page"))
    context = search_page_context(request, filterset, page)
    template = "executions/list.html"
    if request.htmx and request.htmx.target in ("results", "search-page"):
        template += f"#{request.htmx.target}"
    return render(request, template, context, status=200 if page is not None else 400)
