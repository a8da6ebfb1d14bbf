"""Evidence on the execution page: upload, delete, download, thumbnails. Thin callers.

Uploads are refused (404/403/409) before their body is read: the view is CSRF-exempt only so
it can check access and install the streaming upload handler first; the CSRF check then runs
on the parsed body (``csrf_protect``). The page's script uploads one file per request and
swaps the returned fragments; without JavaScript a plain multipart form posts here and is
redirected back.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from attachments import selectors, services
from attachments.responses import original_response, thumbnail_response
from attachments.storage import StorageUnavailable
from attachments.uploads import StreamedUpload, install_upload_handler, parse_step, refusal_of
from executions.models import ExecutionRecord
from executions.selectors import record_events
from executions.timeline import describe
from opscore.exceptions import Conflict
from opscore.http import HtmxHttpRequest
from sharing.policy import can_edit, get_editable_record

MAX_POLLS = 60  # a pending thumbnail is polled for about two minutes, then left to a reload


def anchor_of(step: int | None) -> str:
    return f"#ev-step-{step}" if step else "#info"


def _changed(request: HttpRequest, record: ExecutionRecord, step: int | None) -> HttpResponse:
    """The step's refreshed gallery and the timeline, as out-of-band fragments."""
    attachments = [a for a in selectors.record_attachments(record) if a.step_number == step]
    context = {
        "record": record,
        "number": step,
        "attachments": attachments,
        "can_change_evidence": can_edit(request.user, record) and not record.is_finished,
        "timeline": [describe(e) for e in record_events(record)],
    }
    return render(request, "attachments/changed.html", context)


def _refused(
    request: HtmxHttpRequest, record: ExecutionRecord, message: str, status: int
) -> HttpResponse:
    if request.htmx:
        return JsonResponse({"detail": message}, status=status)
    context = {"record": record, "message": message, "section": "executions"}
    return render(request, "attachments/refused.html", context, status=status)


@csrf_exempt
@require_POST
def attachment_upload(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    record = get_editable_record(request.user, pk)
    try:
        services.check_evidence_editable(record=record, user=request.user)
    except Conflict as exc:
        return _refused(request, record, exc.message, 409)
    install_upload_handler(request)
    return _upload(request, record)


@csrf_protect
def _upload(request: HtmxHttpRequest, record: ExecutionRecord) -> HttpResponse:
    # install_upload_handler made every file of this request a StreamedUpload.
    uploads = cast("list[StreamedUpload]", request.FILES.getlist("file"))
    too_large = refusal_of(request)
    if too_large:
        return _refused(request, record, str(too_large), 413)
    try:
        step = parse_step(request.POST.get("step"))
        attachments = services.attachments_store(
            record=record, user=request.user, uploads=uploads, step=step
        )
    except ValidationError as exc:
        return _refused(request, record, " ".join(exc.messages), 400)
    except Conflict as exc:
        return _refused(request, record, exc.message, 409)
    except StorageUnavailable as exc:
        return _refused(request, record, str(exc), 503)
    if request.htmx:
        return _changed(request, record, step)
    names = ", ".join(a.file_name for a in attachments)
    messages.success(request, f"Attached {names}.")
    return redirect(record.get_absolute_url() + anchor_of(step))


@require_POST
def attachment_delete(request: HtmxHttpRequest, pk: Any) -> HttpResponse:
    attachment = selectors.attachment_editable(request.user, pk)
    record = attachment.record
    try:
        services.attachment_delete(attachment=attachment, user=request.user)
    except Conflict as exc:
        return _refused(request, record, exc.message, 409)
    if request.htmx:
        return _changed(request, record, attachment.step_number)
    messages.success(request, f"Deleted {attachment.file_name}.")
    return redirect(record.get_absolute_url() + anchor_of(attachment.step_number))


@require_safe
def attachment_download(request: HttpRequest, pk: Any) -> HttpResponseBase:
    return original_response(selectors.attachment_visible(request.user, pk))


@require_safe
def attachment_thumbnail(request: HttpRequest, pk: Any) -> HttpResponseBase:
    return thumbnail_response(selectors.attachment_visible(request.user, pk))


@require_safe
def attachment_tile(request: HttpRequest, pk: Any) -> HttpResponse:
    """One gallery tile: polled by htmx while its thumbnail is pending."""
    attachment = selectors.attachment_visible(request.user, pk)
    record = attachment.record
    poll = request.GET.get("poll", "")
    polls = int(poll) + 1 if poll.isdigit() and len(poll) < 4 else 1
    context = {
        "record": record,
        "attachment": selectors.with_urls([attachment])[0],
        "can_change_evidence": can_edit(request.user, record) and not record.is_finished,
        "polls": polls,
        "polling_done": polls >= MAX_POLLS,
    }
    return render(request, "attachments/evidence.html#tile", context)
