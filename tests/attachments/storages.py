"""Local storages that fail on purpose: deletes for purge tests, reads for export tests."""

from __future__ import annotations

import io
import threading
from typing import BinaryIO, ClassVar

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class FlakyStorage(FileSystemStorage):
    """Local storage whose deletes of the keys in ``broken`` fail as a full or read-only disk
    would (an OSError that is not 'missing'); every successful delete is recorded."""

    broken: ClassVar[set[str]] = set()
    fail_all: ClassVar[bool] = False
    deleted: ClassVar[list[str]] = []
    _lock = threading.Lock()

    def delete(self, name: str) -> None:
        if self.fail_all or name in self.broken:
            raise PermissionError(13, "Permission denied", name)
        super().delete(name)
        with self._lock:
            self.deleted.append(name)

    @classmethod
    def reset(cls) -> None:
        cls.broken = set()
        cls.fail_all = False
        cls.deleted = []


class _FailingFile(io.RawIOBase):
    """A file that gives ``good`` bytes of ``source``, then fails as a dropped disk or network
    would: the error comes part-way through, after the reader has taken some of the file."""

    def __init__(self, source: BinaryIO, good: int) -> None:
        self.source, self.left = source, good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError(5, "Input/output error")
        data = self.source.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.source.close()
        super().close()


class FailingReadStorage(FileSystemStorage):
    """Local storage whose files in ``failing`` (key: good bytes) fail part-way when read."""

    failing: ClassVar[dict[str, int]] = {}

    def _open(self, name: str, mode: str = "rb") -> File:
        opened = super()._open(name, mode)
        if name not in self.failing:
            return opened
        return File(_FailingFile(opened.file, self.failing[name]), name)  # type: ignore[arg-type]
