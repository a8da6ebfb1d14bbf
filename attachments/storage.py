"""Attachment storage: django-storages' S3 backend with the server deciding content types."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage


class AttachmentS3Storage(S3Storage):
    """S3/MinIO storage whose objects carry the type the server sniffed, never the client's.

    django-storages copies ``content.content_type`` (the client's claim, for uploads) onto the
    object; callers here pass ``server_content_type`` on the file object instead.
    """

    def _get_write_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
        params = super()._get_write_parameters(name, content)
        params["ContentType"] = getattr(content, "server_content_type", None) or (
            "application/octet-stream"
        )
        return params
