"""JSON API for execution records (SPEC section 10). Thin: every rule lives in services."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments.serializers import serialized_by_step
from executions import retention, services
from executions.filters import ExecutionFilter
from executions.models import ExecutionRecord
from executions.rerun import execution_rerun
from executions.search import COUNT_CAP, PAGE_SIZE, SearchResults, execution_search
from executions.serializers import (
    EventSerializer,
    ExecutionStepSerializer,
    FailSerializer,
    RecordDetailSerializer,
    RecordListSerializer,
    RerunResultSerializer,
    RerunSerializer,
    StartSerializer,
    StepCreateSerializer,
    StepUpdateSerializer,
    UpdateSerializer,
    list_rows,
)
from executions.views import export_response
from procedures.models import ProcedureVersion
from sharing.models import Share
from sharing.policy import get_editable_record, get_visible_record

RECORD_COLUMNS = ("procedure", "procedure_version", "executor")


def _records() -> Any:
    shares = Share.objects.select_related("user", "group")
    return ExecutionRecord.objects.select_related(*RECORD_COLUMNS).prefetch_related(
        Prefetch("shares", queryset=shares)
    )


def step_data(request: Request, record: ExecutionRecord, step: Any) -> Any:
    """One step as the API reads it, with its attachments (one query for the record's)."""
    context: dict[str, Any] = {"request": request}
    context["attachments_by_step"] = serialized_by_step(record, context)
    return ExecutionStepSerializer(step, context=context).data


def detail_response(request: Request, record: ExecutionRecord, code: int = 200) -> Response:
    fresh = get_visible_record(request.user, record.pk, _records())
    return Response(RecordDetailSerializer(fresh, context={"request": request}).data, status=code)


class SearchPagination(PageNumberPagination):
    """``{count, count_capped, next, previous, results}``: count stops at COUNT_CAP."""

    page_size = PAGE_SIZE

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator if self.page is not None else None
        results = paginator.object_list if paginator is not None else None
        return Response(
            {
                "count": paginator.count if paginator is not None else 0,
                "count_capped": isinstance(results, SearchResults) and results.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count"]["description"] = f"Exact up to {COUNT_CAP}."
        paginated["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when more than {COUNT_CAP} records match.",
        }
        paginated["required"].append("count_capped")
        return paginated


class ExecutionListCreate(generics.ListAPIView):
    """Search (SPEC section 7, the same FilterSet as the Executions page) and start."""

    serializer_class = RecordListSerializer
    pagination_class = SearchPagination
    filter_backends = [DjangoFilterBackend]  # for the schema; list() applies the FilterSet
    filterset_class = ExecutionFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return ExecutionRecord.objects.none()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filterset = ExecutionFilter(request.query_params)
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        results = execution_search(user=request.user, filterset=filterset, rows=None)
        # Pagination needs only count() and slices, which SearchResults has (see the page view).
        page = self.paginate_queryset(results)  # type: ignore[arg-type]
        rows_read = cast("list[dict[str, Any]]", page or [])  # list rows, not models
        return self.get_paginated_response(list_rows(rows_read, request))

    @extend_schema(request=StartSerializer, responses={201: RecordDetailSerializer})
    def post(self, request: Request) -> Response:
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = get_object_or_404(
            ProcedureVersion.objects.select_related("procedure"),
            pk=data.validated_data["procedure_version"],
        )
        record = services.execution_start(
            version=version,
            user=request.user,
            values=data.validated_data["variables"],
            title=data.validated_data["title"],
        )
        return detail_response(request, record, status.HTTP_201_CREATED)


class ExecutionDetail(APIView):
    @extend_schema(responses=RecordDetailSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        return detail_response(request, get_visible_record(request.user, pk))

    @extend_schema(request=UpdateSerializer, responses=RecordDetailSerializer)
    def patch(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        data = UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        record = services.execution_save_draft(
            record=record,
            user=request.user,
            version=fields["version"],
            title=fields.get("title"),
            notes=fields.get("notes"),
            variables=fields.get("variables"),
        )
        return detail_response(request, record)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        retention.execution_delete(record=record, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Lifecycle(APIView):
    action = ""

    @extend_schema(request=None, responses=RecordDetailSerializer)
    def post(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        if self.action == "complete":
            record = services.execution_complete(record=record, user=request.user)
        elif self.action == "reopen":
            record = services.execution_reopen(record=record, user=request.user)
        return detail_response(request, record)


class ExecutionComplete(Lifecycle):
    action = "complete"


class ExecutionReopen(Lifecycle):
    action = "reopen"


class ExecutionFail(APIView):
    @extend_schema(request=FailSerializer, responses=RecordDetailSerializer)
    def post(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        data = FailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.execution_fail(
            record=record, user=request.user, reason=data.validated_data["reason"]
        )
        return detail_response(request, record)


class ExecutionRerun(APIView):
    @extend_schema(
        request=RerunSerializer,
        responses={201: RerunResultSerializer},
        description=(
            "Starts a new run of the procedure's latest version from this record's values, "
            "for anyone who can see the record. Non-secret values that still fit the latest "
            "version are carried over; values of removed variables, choices no longer offered "
            "and values of the wrong type are dropped and listed in `dropped_variables`. "
            "Secrets are never carried over. `variables` in the body override or add values. "
            "Answers 201 with the new record, 400 naming each variable still missing or "
            "invalid (such as a required secret), 404 when the record is not visible."
        ),
    )
    def post(self, request: Request, pk: Any) -> Response:
        data = RerunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record, plan = execution_rerun(
            user=request.user,
            record_id=pk,
            variables=data.validated_data["variables"],
            title=data.validated_data["title"],
        )
        fresh = get_visible_record(request.user, record.pk, _records())
        context = {"request": request, "plan": plan}
        return Response(
            RerunResultSerializer(fresh, context=context).data, status=status.HTTP_201_CREATED
        )


class StepCreate(APIView):
    @extend_schema(request=StepCreateSerializer, responses={201: ExecutionStepSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        data = StepCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = services.execution_step_add(
            record=record, user=request.user, description=data.validated_data["description"]
        )
        return Response(step_data(request, record, step), status=status.HTTP_201_CREATED)


class StepUpdate(APIView):
    @extend_schema(request=StepUpdateSerializer, responses=ExecutionStepSerializer)
    def patch(self, request: Request, pk: Any, number: int) -> Response:
        record = get_editable_record(request.user, pk)
        data = StepUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(record.steps, number=number)
        with transaction.atomic():
            if "notes" in data.validated_data:
                services.execution_step_set_notes(
                    record=record, user=request.user, number=number,
                    notes=data.validated_data["notes"],
                )  # fmt: skip
            if "done" in data.validated_data:
                services.execution_step_set_done(
                    record=record, user=request.user, number=number,
                    done=data.validated_data["done"],
                )  # fmt: skip
        step = record.steps.select_related("executed_by").get(number=number)
        return Response(step_data(request, record, step))


class ZipRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/zip``; the view streams the bytes itself."""

    media_type = "application/zip"
    format = "zip"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


class ExecutionExport(APIView):
    """The record's evidence as a streamed ZIP (record.json, report.html, files, SHA256SUMS)."""

    renderer_classes = [JSONRenderer, ZipRenderer]  # JSON for errors

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: Any) -> StreamingHttpResponse:
        return export_response(get_visible_record(request.user, pk, _records()), request.user)


class EventList(generics.ListAPIView):
    serializer_class = EventSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        record = get_visible_record(self.request.user, self.kwargs["pk"])
        return record.events.order_by("seq")
