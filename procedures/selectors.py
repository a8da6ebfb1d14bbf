"""Reads for procedures."""

from __future__ import annotations

from django.db.models import QuerySet

from procedures.models import Procedure, ProcedureVersion


def procedure_list() -> QuerySet[Procedure]:
    return Procedure.objects.select_related("latest_version", "latest_version__created_by")


def procedure_versions(procedure: Procedure) -> QuerySet[ProcedureVersion]:
    return procedure.versions.select_related("created_by").order_by("-number")
