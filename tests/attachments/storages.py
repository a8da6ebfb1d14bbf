"""A local storage for purge tests: it records every delete and fails those it is told to."""

from __future__ import annotations

import threading
from typing import ClassVar

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
