from __future__ import annotations

from django.urls import path

from procedures import api

urlpatterns = [
    path("procedures/", api.ProcedureListCreate.as_view(), name="procedure-list"),
    path("procedures/<int:pk>/", api.ProcedureDetail.as_view(), name="procedure-detail"),
    path(
        "procedures/<int:pk>/versions/",
        api.ProcedureVersionCreate.as_view(),
        name="procedure-version-create",
    ),
    path(
        "procedure-versions/<int:pk>/",
        api.ProcedureVersionDetail.as_view(),
        name="procedure-version-detail",
    ),
]
