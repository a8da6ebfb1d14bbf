"""JSON API for attachments (SPEC section 10). Thin: every rule lives in services.

Uploads stream through :class:`attachments.uploads.StreamingUploadHandler`, installed when DRF
wraps the request, before anything reads the body (DRF's multipart parser uses the request's
upload handlers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments import selectors, services
from attachments.responses import original_response, thumbnail_response
from attachments.serializers import AttachmentSerializer, UploadSerializer
from attachments.storage import StorageUnavailable
from attachments.uploads import install_upload_handler, parse_step, refusal_of
from sharing.policy import get_editable_record, get_visible_record

FILE_RESPONSES = {
    200: OpenApiResponse(OpenApiTypes.BINARY, description="The file (local storage)."),
    302: OpenApiResponse(description="Redirect to a pre-signed URL (S3 storage)."),
}


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "too_large"


class StoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The file store did not answer; nothing was attached."
    default_code = "storage_unavailable"


class RecordAttachments(APIView):
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":
            install_upload_handler(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        record = get_visible_record(request.user, pk)
        attachments = selectors.record_attachments(record, with_uploader=True)
        context = {"request": request}
        return Response(AttachmentSerializer(attachments, many=True, context=context).data)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: AttachmentSerializer(many=True)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        services.check_evidence_editable(record=record, user=request.user)
        uploads = request.FILES.getlist("file")  # reads the body, streaming
        too_large = refusal_of(request._request)
        if too_large:
            raise PayloadTooLarge(str(too_large))
        try:
            attachments = services.attachments_store(
                record=record,
                user=request.user,
                uploads=uploads,
                step=parse_step(request.data.get("step")),
            )
        except StorageUnavailable as exc:
            raise StoreUnavailable(str(exc)) from exc
        data = AttachmentSerializer(attachments, many=True, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class AttachmentDetail(APIView):
    @extend_schema(responses=AttachmentSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        attachment = selectors.attachment_visible(request.user, pk)
        return Response(AttachmentSerializer(attachment, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        attachment = selectors.attachment_editable(request.user, pk)
        services.attachment_delete(attachment=attachment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyAccept(BaseContentNegotiation):
    """Files answer whatever the client accepts (an <img> asks for image/*); errors are JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class AttachmentDownload(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(responses=FILE_RESPONSES)
    def get(self, request: Request, pk: Any) -> HttpResponseBase:
        return original_response(selectors.attachment_visible(request.user, pk))


class AttachmentThumbnail(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(responses=FILE_RESPONSES)
    def get(self, request: Request, pk: Any) -> HttpResponseBase:
        return thumbnail_response(selectors.attachment_visible(request.user, pk))
