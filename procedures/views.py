from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from executions.rerun import RerunPlan, rerun_plan
from executions.selectors import procedure_run_counts, procedure_runs
from opscore.http import AuthenticatedHttpRequest
from procedures import selectors, services
from procedures.diff import version_diff
from procedures.forms import ProcedureForm, VariablesForm, VersionCompareForm
from procedures.models import Procedure, ProcedureVersion
from procedures.rendering import render_markdown
from procedures.variables import missing_required


def _apply_errors(form: ProcedureForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_safe
def procedure_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    procedures = selectors.procedure_list()
    if query:
        procedures = procedures.filter(Q(title__icontains=query))
    return render(
        request,
        "procedures/list.html",
        {"procedures": procedures, "query": query, "section": "procedures"},
    )


def procedure_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProcedureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            procedure = services.procedure_create(
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Procedure “{procedure.title}” created as version 1.")
            return redirect(procedure)
    return render(
        request, "procedures/form.html", {"form": form, "procedure": None, "section": "procedures"}
    )


def procedure_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(selectors.procedure_list(), pk=pk)
    latest = procedure.latest_version
    form = ProcedureForm(
        request.POST or None,
        initial={"title": procedure.title, "body": latest.body if latest else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            version, created = services.procedure_edit(
                procedure=procedure,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if created:
                messages.success(request, f"Saved as version {version.number}.")
            else:
                messages.info(request, "The body did not change, so no new version was saved.")
            return redirect(procedure)
    return render(
        request,
        "procedures/form.html",
        {"form": form, "procedure": procedure, "section": "procedures"},
    )


def _version(procedure: Procedure, number: int | None) -> ProcedureVersion:
    if number is None:
        if procedure.latest_version is None:
            raise ProcedureVersion.DoesNotExist
        version = procedure.latest_version
    else:
        version = get_object_or_404(procedure.versions.select_related("created_by"), number=number)
    version.procedure = procedure  # already loaded, with its latest version
    return version


LATEST_RUNS = 5


def page_context(
    version: ProcedureVersion,
    form: VariablesForm,
    *,
    user: Any = None,
    rerun: RerunPlan | None = None,
) -> dict[str, object]:
    """The procedure page (the three panes before a run); the start view reuses it.

    With ``user``, the right pane also lists the latest runs they may see and the run counts;
    ``rerun`` says which earlier run pre-filled the form and which of its values were dropped.
    """
    values = form.raw_values()
    runs: dict[str, object] = {}
    if user is not None:
        runs = {
            "latest_runs": list(procedure_runs(user, version.procedure)[:LATEST_RUNS]),
            "run_summary": procedure_run_counts(user, version.procedure),
        }
    return {
        **runs,
        "rerun": rerun,
        "procedure": version.procedure,
        "version": version,
        "document": version.document,
        "form": form,
        # Safe: render_markdown escapes every value and sanitises the HTML with nh3.
        "document_html": mark_safe(render_markdown(version.document, values)),
        "missing": missing_required(version.document, values),
        "section": "procedures",
    }


@require_safe
def procedure_detail(request: HttpRequest, pk: int, number: int | None = None) -> HttpResponse:
    procedure = get_object_or_404(selectors.procedure_list(), pk=pk)
    version = _version(procedure, number)
    rerun = None
    if "from" in request.GET:
        # Run again: the earlier run (404 unless visible) pre-fills what still fits.
        rerun = rerun_plan(user=request.user, record_id=request.GET["from"], version=version)
    form = VariablesForm(
        version.document, initial_values=rerun.values if rerun else None, form_id="start-form"
    )
    context = page_context(version, form, user=request.user, rerun=rerun)
    return render(request, "procedures/detail.html", context)


@require_POST
def procedure_preview(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Re-renders the document (and the readiness list) as the user types values."""
    procedure = get_object_or_404(Procedure, pk=pk)
    version = _version(procedure, number)
    form = VariablesForm(version.document, request.POST, form_id="start-form")
    return render(request, "procedures/preview.html", page_context(version, form))


@require_safe
def procedure_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version with the runs of it the user may see, and a diff of any two versions."""
    procedure = get_object_or_404(selectors.procedure_list(), pk=pk)
    versions = list(selectors.procedure_versions(procedure))
    counts = procedure_run_counts(request.user, procedure)
    by_number = {v.number: v for v in versions}
    compare = VersionCompareForm(
        request.GET if "old" in request.GET or "new" in request.GET else None,
        numbers=list(by_number),
    )
    diff = None
    if compare.is_bound and compare.is_valid():
        old, new = compare.cleaned_data["old"], compare.cleaned_data["new"]
        diff = version_diff(by_number[old], by_number[new])
    elif not compare.is_bound and len(versions) >= 2:
        diff = version_diff(versions[1], versions[0])
    context = {
        "procedure": procedure,
        "versions": [(v, counts.by_version.get(v.pk, 0)) for v in versions],
        "run_counts": counts,
        "compare": compare,
        "diff": diff,
        "section": "procedures",
    }
    status = 400 if compare.is_bound and not compare.is_valid() else 200
    return render(request, "procedures/history.html", context, status=status)
