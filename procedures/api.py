"""JSON API for procedures and their versions (SPEC section 10)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from procedures import selectors, services
from procedures.models import Procedure, ProcedureVersion


class VersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcedureVersion
        fields = ["id", "number", "created_at"]


class VariableSerializer(serializers.Serializer):
    name = serializers.CharField()
    # DRF's metaclass moves declared fields off the class, so these never replace the
    # Field attributes of the same names that the stubs see.
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField()
    default = serializers.CharField(allow_null=True)
    required = serializers.BooleanField()  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField())
    help = serializers.CharField()


class StepSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    description = serializers.CharField()


class VersionSerializer(serializers.ModelSerializer):
    variables = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    procedure: serializers.PrimaryKeyRelatedField[Procedure] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ProcedureVersion
        fields = [
            "id", "procedure", "number", "body", "note", "variables", "steps", "created_by",
            "created_at",
        ]  # fmt: skip

    @extend_schema(responses=VariableSerializer(many=True))
    def get_variables(self, version: ProcedureVersion) -> list[dict]:
        return [v.as_dict() for v in version.document.variables]

    @extend_schema(responses=StepSerializer(many=True))
    def get_steps(self, version: ProcedureVersion) -> list[dict]:
        return [{"number": s.number, "description": s.description} for s in version.document.steps]


class ProcedureSerializer(serializers.ModelSerializer):
    latest_version = VersionRefSerializer(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Procedure
        fields = ["id", "title", "latest_version", "created_at", "updated_at", "url"]

    def get_url(self, procedure: Procedure) -> str:
        return procedure.get_absolute_url()


class ProcedureCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(trim_whitespace=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VersionCreateSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _field_errors(exc: ValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict)


def _author(request: Request) -> User | None:
    # IsAuthenticated lets only signed-in users this far; the check tells the type checker so.
    return request.user if request.user.is_authenticated else None


class ProcedureListCreate(generics.ListAPIView):
    serializer_class = ProcedureSerializer

    def get_queryset(self) -> QuerySet[Procedure]:
        return selectors.procedure_list().order_by("title", "id")

    @extend_schema(request=ProcedureCreateSerializer, responses={201: ProcedureSerializer})
    def post(self, request: Request) -> Response:
        data = ProcedureCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            procedure = services.procedure_create(user=_author(request), **data.validated_data)
        except ValidationError as exc:
            raise _field_errors(exc) from None
        return Response(ProcedureSerializer(procedure).data, status=status.HTTP_201_CREATED)


class ProcedureDetail(generics.RetrieveAPIView):
    serializer_class = ProcedureSerializer

    def get_queryset(self) -> QuerySet[Procedure]:
        return selectors.procedure_list()


class ProcedureVersionCreate(APIView):
    @extend_schema(request=VersionCreateSerializer, responses={201: VersionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        procedure = get_object_or_404(Procedure, pk=pk)
        data = VersionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version, created = services.procedure_version_add(
                procedure=procedure, user=_author(request), **data.validated_data
            )
        except ValidationError as exc:
            raise _field_errors(exc) from None
        return Response(
            VersionSerializer(version).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ProcedureVersionDetail(generics.RetrieveAPIView):
    serializer_class = VersionSerializer
    queryset = ProcedureVersion.objects.select_related("created_by")
