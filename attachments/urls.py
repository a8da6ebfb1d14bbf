"""Page URLs of attachments; included at the root by ``opscore/urls.py``."""

from __future__ import annotations

from django.urls import path

from attachments import views

app_name = "attachments"

urlpatterns = [
    path("executions/<uuid:pk>/attachments/", views.attachment_upload, name="upload"),
    path("attachments/<uuid:pk>/download", views.attachment_download, name="download"),
    path("attachments/<uuid:pk>/thumbnail", views.attachment_thumbnail, name="thumbnail"),
    path("attachments/<uuid:pk>/tile", views.attachment_tile, name="tile"),
    path("attachments/<uuid:pk>/delete/", views.attachment_delete, name="delete"),
]
