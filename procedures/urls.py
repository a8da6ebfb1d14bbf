from __future__ import annotations

from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("new/", views.procedure_create, name="create"),
    path("<int:pk>/", views.procedure_detail, name="detail"),
    path("<int:pk>/edit/", views.procedure_edit, name="edit"),
    path("<int:pk>/history/", views.procedure_history, name="history"),
    path("<int:pk>/versions/<int:number>/", views.procedure_detail, name="version"),
    path("<int:pk>/versions/<int:number>/preview/", views.procedure_preview, name="preview"),
]
