"""Shared API plumbing: JSON errors for domain exceptions, hashed tokens, pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from opscore.exceptions import Conflict


def _validation_payload(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        payload: dict[str, Any] = exc.message_dict
        by_variable = getattr(exc, "by_variable", None)
        if by_variable:
            payload["variables"] = by_variable
        return payload
    return {"detail": " ".join(exc.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus our domain errors: 400 for validation, 409 for conflicts."""
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.current_version is not None:
            body["current_version"] = exc.current_version
        return Response(body, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
