from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from procedures import selectors, services
from procedures.forms import ProcedureForm, VariablesForm
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


def procedure_create(request: HttpRequest) -> HttpResponse:
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


def procedure_edit(request: HttpRequest, pk: int) -> HttpResponse:
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


def page_context(version: ProcedureVersion, form: VariablesForm) -> dict[str, object]:
    """The procedure page (the three panes before a run); the start view reuses it."""
    values = form.raw_values()
    return {
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
    form = VariablesForm(version.document, form_id="start-form")
    return render(request, "procedures/detail.html", page_context(version, form))


@require_POST
def procedure_preview(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Re-renders the document (and the readiness list) as the user types values."""
    procedure = get_object_or_404(Procedure, pk=pk)
    version = _version(procedure, number)
    form = VariablesForm(version.document, request.POST, form_id="start-form")
    return render(request, "procedures/preview.html", page_context(version, form))


@require_safe
def procedure_history(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(selectors.procedure_list(), pk=pk)
    return render(
        request,
        "procedures/history.html",
        {
            "procedure": procedure,
            "versions": selectors.procedure_versions(procedure),
            "section": "procedures",
        },
    )
