from __future__ import annotations

from django.urls import path

from sharing import views

app_name = "sharing"

urlpatterns = [
    path("<uuid:pk>/sharing/", views.share_edit, name="edit"),
    path("<uuid:pk>/sharing/suggest/<str:kind>/", views.share_suggest, name="suggest"),
]
