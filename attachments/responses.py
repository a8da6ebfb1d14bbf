"""How a file leaves the server: streamed locally, or a 302 to a short-lived S3 link.

The server decides the type and disposition every time. Only images Pillow verified are shown
inline; everything else (SVG and HTML included) is an ``application/octet-stream`` attachment.
Local responses add nosniff and a sandboxing CSP, so even a file that slipped through cannot
run script in the application's origin.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseBase, HttpResponseRedirect

from attachments.content import OCTET_STREAM, content_disposition
from attachments.models import Attachment
from attachments.storage import is_missing, signed_url, storage_for, storage_type_of

SANDBOX_CSP = "default-src 'none'; sandbox"


def _serve(
    attachment: Attachment, key: str, content_type: str, disposition: str
) -> HttpResponseBase:
    storage = storage_for(attachment.storage_type)
    if storage is None:
        # Stored on the other backend (ATTACHMENT_STORAGE_TYPE changed since): looking in this
        # server's storage would read the wrong place.
        raise Http404("The file is kept on a storage this server does not use.")
    if storage_type_of(storage) == "s3":
        response: HttpResponseBase = HttpResponseRedirect(
            signed_url(
                storage,
                key,
                content_type=content_type,
                disposition=disposition,
                ttl=settings.S3_PRESIGNED_URL_TTL,
            )
        )
        # The link expires: a cached redirect would outlive it.
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        file = storage.open(key, "rb")
    except OSError as error:
        if is_missing(error):
            raise Http404("The file is no longer stored.") from None
        raise
    response = FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Access is checked on every request: browsers may keep a copy but must ask again.
    response["Cache-Control"] = "private, no-cache"
    return response


def original_response(attachment: Attachment) -> HttpResponseBase:
    if attachment.shows_inline:
        return _serve(
            attachment,
            attachment.storage_key,
            attachment.mime_type,
            content_disposition("inline", attachment.file_name),
        )
    return _serve(
        attachment,
        attachment.storage_key,
        OCTET_STREAM,
        content_disposition("attachment", attachment.file_name),
    )


def thumbnail_response(attachment: Attachment) -> HttpResponseBase:
    if attachment.thumbnail_status != Attachment.ThumbnailStatus.READY:
        raise Http404("This attachment has no thumbnail.")
    stem = os.path.splitext(attachment.file_name)[0] or "thumbnail"
    return _serve(
        attachment,
        attachment.thumbnail_key,
        "image/webp",
        content_disposition("inline", f"{stem}.webp"),
    )
