"""API representations of records, steps and events (SPEC section 10)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attachments.serializers import AttachmentSerializer, serialized_by_step
from executions.models import ExecutionEvent, ExecutionRecord, ExecutionStep


class RunProcedureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class RunVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class SharedWithSerializer(serializers.Serializer):
    users = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(child=serializers.CharField())


class ExecutionStepSerializer(serializers.ModelSerializer):
    executed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ExecutionStep
        fields = ["number", "description", "notes", "executed_at", "executed_by", "is_extra",
                  "attachments"]  # fmt: skip

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, step: ExecutionStep) -> list[dict[str, Any]]:
        by_step = self.context.get("attachments_by_step", {})
        return list(by_step.get(step.number, []))


class RecordListSerializer(serializers.ModelSerializer):
    procedure = RunProcedureSerializer(read_only=True)
    procedure_version = RunVersionSerializer(read_only=True)
    executor = UserRefSerializer(read_only=True)
    shared_with = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ExecutionRecord
        fields = [
            "id", "title", "status", "procedure", "procedure_version", "executor", "started_at",
            "completed_at", "variables", "notes", "access_scope", "shared_with", "version", "url",
        ]  # fmt: skip

    @extend_schema_field(SharedWithSerializer)
    def get_shared_with(self, record: ExecutionRecord) -> dict[str, list[str]]:
        shares = list(record.shares.all())  # prefetched by the views
        return {
            "users": sorted(s.user.username for s in shares if s.user is not None),
            "groups": sorted(s.group.name for s in shares if s.group is not None),
        }

    def get_url(self, record: ExecutionRecord) -> str:
        request = self.context.get("request")
        path = record.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


_PLACEHOLDER = uuid.UUID(int=0)


def list_rows(rows: Sequence[dict[str, Any]], request: Any = None) -> list[dict[str, Any]]:
    """``RecordListSerializer``'s output for the search's list rows (executions.search:
    ``LIST_COLUMNS`` and the names a record is shared with).

    The search page of the API builds its 25 rows here rather than through model instances
    and nested serializers, which cost several times the page's SQL; the serializer remains
    the documented schema, and a test holds the two to the same output.
    """
    if not rows:
        return []
    path = reverse("executions:detail", args=[_PLACEHOLDER])
    url = request.build_absolute_uri(path) if request is not None else path
    # The zone is read once for the page, not once for each of its times.
    zone = timezone.get_current_timezone()
    moment = serializers.DateTimeField(default_timezone=zone).to_representation
    return [
        {
            "id": str(row["id"]),
            "title": row["title"],
            "status": row["status"],
            "procedure": {"id": row["procedure_id"], "title": row["procedure__title"]},
            "procedure_version": {
                "id": row["procedure_version_id"],
                "number": row["procedure_version__number"],
            },
            "executor": {"id": row["executor_id"], "username": row["executor__username"]},
            "started_at": moment(row["started_at"]),
            "completed_at": moment(row["completed_at"]),
            "variables": row["variables"],
            "notes": row["notes"],
            "access_scope": row["access_scope"],
            "shared_with": {
                "users": sorted(row["shared_users"]),
                "groups": sorted(row["shared_groups"]),
            },
            "version": row["version"],
            "url": url.replace(str(_PLACEHOLDER), str(row["id"])),
        }
        for row in rows
    ]


class RecordDetailSerializer(RecordListSerializer):
    steps = serializers.SerializerMethodField()

    class Meta(RecordListSerializer.Meta):
        fields = [*RecordListSerializer.Meta.fields, "steps"]

    @extend_schema_field(ExecutionStepSerializer(many=True))
    def get_steps(self, record: ExecutionRecord) -> Any:
        steps = record.steps.select_related("executed_by").order_by("number")
        context = {**self.context, "attachments_by_step": serialized_by_step(record, self.context)}
        return ExecutionStepSerializer(steps, many=True, context=context).data


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    action_display = serializers.CharField(source="get_action_display")

    class Meta:
        model = ExecutionEvent
        fields = ["seq", "actor", "action", "action_display", "data", "created_at", "prev_hash",
                  "hash"]  # fmt: skip


class StartSerializer(serializers.Serializer):
    procedure_version = serializers.IntegerField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    variables = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)


class RerunSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    variables = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Values for the new run, over the carried ones (secrets must be sent here).",
    )


class DroppedValueSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    value = serializers.CharField(help_text="Empty for a value that was a secret.")
    reason = serializers.CharField()


class RerunResultSerializer(RecordDetailSerializer):
    """The new record, plus the earlier run's values that were not carried over."""

    rerun_of = serializers.SerializerMethodField()
    dropped_variables = serializers.SerializerMethodField()

    class Meta(RecordDetailSerializer.Meta):
        fields = [*RecordDetailSerializer.Meta.fields, "rerun_of", "dropped_variables"]

    def get_rerun_of(self, record: ExecutionRecord) -> str:
        return str(self.context["plan"].source.pk)

    @extend_schema_field(DroppedValueSerializer(many=True))
    def get_dropped_variables(self, record: ExecutionRecord) -> list[dict[str, Any]]:
        return list(DroppedValueSerializer(self.context["plan"].dropped, many=True).data)


class UpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    variables = serializers.DictField(child=serializers.JSONField(), required=False)


class FailSerializer(serializers.Serializer):
    reason = serializers.CharField(trim_whitespace=True, required=False, allow_blank=True,
                                   default="")  # fmt: skip


class StepCreateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=1000)


class StepUpdateSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    done = serializers.BooleanField(required=False)
