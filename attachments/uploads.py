"""Streaming uploads: every file goes to a temporary file chunk by chunk, hashed on the way.

Install :class:`StreamingUploadHandler` on a request before its body is read (see
``install_upload_handler``). Memory use does not grow with file size, the SHA-256 is known when
the last byte arrives, and a file over ``ATTACHMENT_MAX_BYTES`` stops the upload at that byte:
its temporary file is deleted and the request answers 413.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from attachments.storage import upload_temp_dir

CHUNK_SIZE = 1024 * 1024  # bounded memory, and few enough calls to keep 1 GiB fast
# Temporary upload files are named upload-<random>.part; the purge removes stale ones.
TEMP_PREFIX, TEMP_SUFFIX = "upload-", ".part"


def binary_size(value: int) -> str:
    """1073741824 -> '1 GiB': limits read best in the units they were set in."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= size:
            amount = value / size
            return f"{amount:.0f} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{value} bytes"


class FileTooLarge(Exception):
    """A file went over ATTACHMENT_MAX_BYTES while streaming in."""

    def __init__(self, file_name: str, limit: int) -> None:
        self.file_name = file_name
        self.limit = limit
        super().__init__(f"{file_name} is larger than the limit of {binary_size(limit)}.")


class StreamedUpload(UploadedFile):
    """An uploaded file in a temporary file, with its size and SHA-256 computed while it
    streamed in. The temporary file's name is random: the user's name is never a path."""

    # Never None here, unlike an UploadedFile in general: set in __init__ and by the handler.
    file: IO[bytes]
    name: str
    size: int

    def __init__(
        self,
        name: str,
        content_type: str | None = None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
        temp_dir: str | None = None,
    ) -> None:
        file = tempfile.NamedTemporaryFile(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=temp_dir)  # noqa: SIM115
        super().__init__(file, name, content_type, 0, charset, content_type_extra)
        self.sha256 = ""
        # Set by the service: the type the server decided, which S3 stores on the object.
        self.server_content_type = "application/octet-stream"

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):  # already moved into local storage
            self.file.close()

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> StreamedUpload:
        """For code that makes files itself (demo data, tests): the same path as an upload."""
        return cls.from_stream(name, io.BytesIO(data))

    @classmethod
    def from_stream(cls, name: str, stream: BinaryIO) -> StreamedUpload:
        upload = cls(name, temp_dir=upload_temp_dir())
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
            upload.file.write(chunk)
            size += len(chunk)
        upload.file.flush()
        upload.file.seek(0)
        upload.size = size
        upload.sha256 = digest.hexdigest()
        return upload


class StreamingUploadHandler(FileUploadHandler):
    """Streams each file of a multipart body to a :class:`StreamedUpload`, hashing as it goes,
    and stops the upload as soon as one file passes the size limit."""

    chunk_size = CHUNK_SIZE

    def __init__(self, request: HttpRequest | None = None, *, max_bytes: int | None = None):
        super().__init__(request)
        self.max_bytes = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
        self.temp_dir = upload_temp_dir()
        self.refused: FileTooLarge | None = None
        self.file: StreamedUpload | None = None
        self.received = 0
        self.digest = hashlib.sha256()

    def new_file(self, field_name: str, file_name: str, content_type: str,
                 content_length: int | None, charset: str | None = None,
                 content_type_extra: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().new_file(field_name, file_name, content_type, content_length, charset,
                         content_type_extra)  # fmt: skip
        if content_length is not None and content_length > self.max_bytes:
            self._refuse()
        self.file = StreamedUpload(
            file_name, content_type, charset, content_type_extra, temp_dir=self.temp_dir
        )
        self.received = 0
        self.digest = hashlib.sha256()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self._refuse()
        self.digest.update(raw_data)
        assert self.file is not None
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> StreamedUpload | None:
        assert self.file is not None
        self.file.flush()
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.digest.hexdigest()
        return self.file

    def upload_interrupted(self) -> None:
        if self.file is not None:
            self.file.close()

    def _refuse(self) -> None:
        # Delete what arrived so far and stop reading: the view answers 413. Files that were
        # complete are temporary files too, closed (deleted) when the request ends.
        if self.file is not None:
            self.file.close()
        self.refused = FileTooLarge(str(self.file_name or "file"), self.max_bytes)
        raise StopUpload(connection_reset=True)


def install_upload_handler(request: HttpRequest) -> StreamingUploadHandler:
    """Replaces the request's upload handlers; call before anything reads the body."""
    handler = StreamingUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def refusal_of(request: HttpRequest) -> FileTooLarge | None:
    """The size refusal of this request's upload, if one file was too large."""
    for handler in request.upload_handlers:
        if isinstance(handler, StreamingUploadHandler) and handler.refused:
            return handler.refused
    return None


def parse_step(raw: object) -> int | None:
    """The ``step`` field of an upload: empty for the record as a whole, else a number."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ValidationError({"step": [f"Step must be a step number, not {text[:20]!r}."]})
    return int(text)
