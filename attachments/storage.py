"""Attachment storage: django-storages' S3 backend with the server deciding content types.

Every file access goes through ``storages["attachments"]`` (local ``FileSystemStorage`` or
:class:`AttachmentS3Storage`, chosen by settings). Keys are ``{record id}/{attachment id}``
(``attachments/`` is prepended on S3 by the storage's location); the user's file name never
appears in a key or a path.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MiB = 1024 * 1024
STORED_AS_IS = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# What a storage raises when it is unreachable or failing; worth a retry, unlike a bad image.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)


class StorageUnavailable(Exception):
    """The attachment storage failed; nothing was stored (answered 503, worth a retry)."""


class AttachmentS3Storage(S3Storage):
    """S3/MinIO storage whose objects carry the type the server sniffed, never the client's.

    django-storages copies ``content.content_type`` (the client's claim, for uploads) onto the
    object; callers here pass ``server_content_type`` on the file object instead.
    """

    def get_default_settings(self) -> dict[str, Any]:
        defaults = super().get_default_settings()
        # boto3's default (10 parts of 8 MiB in flight) would hold ~80 MiB per upload; four
        # parts keep a 1 GiB upload's memory well under the 64 MiB budget (SPEC section 12).
        config = TransferConfig(max_concurrency=4, multipart_chunksize=8 * MiB)
        config.max_in_memory_upload_chunks = 4
        defaults["transfer_config"] = config
        return defaults

    def _get_write_parameters(self, name: str, content: Any = None) -> dict[str, Any]:
        params = super()._get_write_parameters(name, content)
        # Only inert image types are kept on the object; anything a browser could run (HTML,
        # SVG, ...) is stored opaque, so even a bucket made public or previewed in a console
        # never serves it as itself. Downloads set their own type on the signed link anyway.
        decided = getattr(content, "server_content_type", None)
        params["ContentType"] = decided if decided in STORED_AS_IS else "application/octet-stream"
        return params


def attachment_storage() -> Storage:
    return storages["attachments"]


def storage_type_of(storage: Storage) -> str:
    return "s3" if isinstance(storage, S3Storage) else "local"


def storage_for(storage_type: str) -> Storage | None:
    """The storage that holds files stored as ``storage_type`` (an attachment's own field), or
    None when this server cannot read it.

    Only the storage of ``ATTACHMENT_STORAGE_TYPE`` is configured (a server on local disk has no
    bucket, one on S3 keeps no local root), so after a switch the older files are out of reach:
    looking for them in the configured storage would read the wrong place.
    """
    storage = attachment_storage()
    return storage if storage_type_of(storage) == storage_type else None


def open_for_streaming(storage: Storage, key: str) -> IO[bytes]:
    """The file at ``key``, to be read front to back in chunks with memory bounded by a chunk.

    On S3 the object's body is read as it arrives. ``storage.open`` would first download the
    whole object into django-storages' spool, whose default size limit (0) keeps it all in
    memory: a 1 GiB file would cost 1 GiB. A missing object raises ``ClientError``
    (``NoSuchKey``) here, a missing local file ``FileNotFoundError``; see :func:`is_missing`.
    """
    if isinstance(storage, S3Storage):
        name = storage._normalize_name(clean_name(key))  # as S3Storage.open names the object
        body: IO[bytes] = storage.bucket.Object(name).get()["Body"]
        return body
    return storage.open(key, "rb")


def storage_check(storage: Storage) -> None:
    """Raise unless uploads could be stored: the S3 bucket exists and answers, or the local
    root is a directory this process can write into. Writes nothing (the local root is made,
    as the first upload would make it)."""
    if isinstance(storage, S3Storage):
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        root.mkdir(parents=True, exist_ok=True)
        if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
            raise OSError(f"{root} is not a writable directory")
        return
    # Any other backend: a round trip on a name that is never used.
    storage.exists(f"healthz-{uuid.uuid4().hex}")


def original_key(record_id: UUID | str, attachment_id: UUID | str) -> str:
    return f"{record_id}/{attachment_id}"


def thumbnail_key(record_id: UUID | str, attachment_id: UUID | str) -> str:
    """Beside the original: ``{record id}/{attachment id}.thumb.webp``."""
    return f"{record_id}/{attachment_id}.thumb.webp"


def upload_temp_dir() -> str | None:
    """Where uploads stream to before they are stored.

    On local storage, a folder inside the storage root: storing is then a rename on the same
    file system, not a second copy of a 1 GiB file. Elsewhere the system's temporary folder.
    """
    if settings.FILE_UPLOAD_TEMP_DIR:
        return str(settings.FILE_UPLOAD_TEMP_DIR)
    folder = incoming_dir(attachment_storage())
    if folder is not None:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def incoming_dir(storage: Storage) -> str | None:
    """The folder inside local storage where uploads stream in (``.incoming``); None on S3."""
    if isinstance(storage, FileSystemStorage):
        return os.path.join(storage.location, ".incoming")
    return None


def signed_url(storage: Storage, key: str, *, content_type: str, disposition: str, ttl: int) -> str:
    """A pre-signed GET URL whose response carries the type and disposition the server chose."""
    assert isinstance(storage, S3Storage)
    return storage.url(
        key,
        parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
        expire=ttl,
    )


def is_missing(error: BaseException) -> bool:
    """True when a storage error means 'no such file' rather than 'storage unavailable'."""
    if isinstance(error, FileNotFoundError):
        return True
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}
    return False
