from __future__ import annotations

from django.urls import path

from executions import api

urlpatterns = [
    path("executions/", api.ExecutionListCreate.as_view(), name="execution-list"),
    path("executions/<uuid:pk>/", api.ExecutionDetail.as_view(), name="execution-detail"),
    path(
        "executions/<uuid:pk>/complete/", api.ExecutionComplete.as_view(), name="execution-complete"
    ),
    path("executions/<uuid:pk>/fail/", api.ExecutionFail.as_view(), name="execution-fail"),
    path("executions/<uuid:pk>/reopen/", api.ExecutionReopen.as_view(), name="execution-reopen"),
    path("executions/<uuid:pk>/rerun/", api.ExecutionRerun.as_view(), name="execution-rerun"),
    path("executions/<uuid:pk>/steps/", api.StepCreate.as_view(), name="execution-step-create"),
    path(
        "executions/<uuid:pk>/steps/<int:number>/",
        api.StepUpdate.as_view(),
        name="execution-step-update",
    ),
    path("executions/<uuid:pk>/events/", api.EventList.as_view(), name="execution-events"),
    path("executions/<uuid:pk>/export", api.ExecutionExport.as_view(), name="execution-export"),
]
