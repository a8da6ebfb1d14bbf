"""``GET, PUT /api/v1/executions/{id}/sharing/`` (SPEC section 10). Thin: rules in services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from executions.models import ExecutionRecord
from sharing import services
from sharing.policy import get_editable_record, get_visible_record
from sharing.selectors import sharing_of


class SharingSerializer(serializers.Serializer):
    access_scope = serializers.ChoiceField(choices=ExecutionRecord.Scope.choices)
    users = serializers.ListField(child=serializers.CharField(max_length=150), default=list,
                                  help_text="Usernames.")  # fmt: skip
    groups = serializers.ListField(child=serializers.CharField(max_length=150), default=list,
                                   help_text="Group names.")  # fmt: skip


class RecordSharing(APIView):
    """Who a record is shared with. Anyone who sees the record reads it; only the executor
    replaces it (``access_scope: private`` revokes every share)."""

    @extend_schema(responses=SharingSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        record = get_visible_record(request.user, pk)
        return Response(sharing_of(record).as_dict())

    @extend_schema(request=SharingSerializer, responses=SharingSerializer)
    def put(self, request: Request, pk: Any) -> Response:
        record = get_editable_record(request.user, pk)
        data = SharingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sharing = services.share_set(
            record=record,
            user=request.user,
            access_scope=data.validated_data["access_scope"],
            usernames=data.validated_data["users"],
            group_names=data.validated_data["groups"],
        )
        return Response(sharing.as_dict())
