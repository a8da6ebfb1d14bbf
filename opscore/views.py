from __future__ import annotations

import logging
import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the attachment storage answer, 503 otherwise."""
    checks = {"database": "ok", "storage": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        checks["database"] = "error"
    try:
        # exists() on a name that is never used: a round trip without writing anything.
        storages["attachments"].exists(f"healthz-{uuid.uuid4().hex}")
    except Exception:
        logger.exception("healthz: storage check failed")
        checks["storage"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    return HttpResponseRedirect(static("img/favicon.svg"))
