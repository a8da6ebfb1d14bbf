from __future__ import annotations

from django.urls import path

from sharing import api

urlpatterns = [
    path("executions/<uuid:pk>/sharing/", api.RecordSharing.as_view(), name="execution-sharing"),
]
