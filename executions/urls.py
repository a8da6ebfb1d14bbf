from __future__ import annotations

from django.urls import path

from executions import views

app_name = "executions"

urlpatterns = [
    path("", views.execution_list, name="list"),
    path("start/", views.execution_start, name="start"),
    path("<uuid:pk>/", views.execution_detail, name="detail"),
    path("<uuid:pk>/save/", views.execution_save, name="save"),
    path("<uuid:pk>/complete/", views.execution_complete, name="complete"),
    path("<uuid:pk>/fail/", views.execution_fail, name="fail"),
    path("<uuid:pk>/reopen/", views.execution_reopen, name="reopen"),
    path("<uuid:pk>/steps/add/", views.execution_step_add, name="step-add"),
    path("<uuid:pk>/delete/", views.execution_delete, name="delete"),
    path("<uuid:pk>/export", views.execution_export_download, name="export"),
    path("<uuid:pk>/steps/<int:number>/done/", views.execution_step_done, name="step-done"),
]
