from __future__ import annotations

from django.urls import path

from attachments import api

urlpatterns = [
    path(
        "executions/<uuid:pk>/attachments/",
        api.RecordAttachments.as_view(),
        name="execution-attachments",
    ),
    path("attachments/<uuid:pk>/", api.AttachmentDetail.as_view(), name="attachment-detail"),
    path(
        "attachments/<uuid:pk>/download",
        api.AttachmentDownload.as_view(),
        name="attachment-download",
    ),
    path(
        "attachments/<uuid:pk>/thumbnail",
        api.AttachmentThumbnail.as_view(),
        name="attachment-thumbnail",
    ),
]
