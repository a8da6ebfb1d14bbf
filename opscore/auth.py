"""Token authentication against hashed tokens (``Authorization: Token <key>``)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from opscore.models import ApiToken


class TokenLoginThrottle(AnonRateThrottle):
    rate = "20/minute"


class ObtainTokenView(APIView):
    """Exchanges a username and password for a new API token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenLoginThrottle]

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        username = request.data.get("username")
        password = request.data.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            return Response(
                {"detail": "Send a username and a password."}, status=status.HTTP_400_BAD_REQUEST
            )
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            return Response(
                {"detail": "Unable to log in with those credentials."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        _, key = ApiToken.issue(user)
        return Response({"token": key})
