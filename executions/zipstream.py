"""Writing a ZIP archive as a stream of bytes, with memory bounded by one chunk.

The standard library's zipfile writes to unseekable streams (using data descriptors), so a
writer that hands over what it has received after every write is all a streamed download needs.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

CHUNK = 256 * 1024


class _Pipe:
    """A write-only, unseekable file whose contents are drained after each write."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        # ZipFile never closes a file it was given; typeshed asks for close() all the same.
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


# A member: its path in the archive, a callable that opens its content for reading, and
# whether to compress it (images and archives are stored as they are: deflating them again
# costs CPU and saves nothing).
Member = tuple[str, Callable[[], IO[bytes]], bool]


def _now() -> tuple[int, int, int, int, int, int]:
    return time.localtime()[:6]


def zip_stream(members: Iterable[Member], *, on_member: Callable[[str, bytes], None] | None = None
               ) -> Iterator[bytes]:  # fmt: skip
    """Yields the bytes of a ZIP holding ``members``; each member is read CHUNK by CHUNK.

    ``on_member`` is called with each member's path and SHA-256 digest as it is written.
    """
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for path, opener, compress in members:
            digest = hashlib.sha256()
            info = zipfile.ZipInfo(path, date_time=_now())
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with opener() as source, zf.open(info, mode="w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
                    if pipe.parts:
                        yield pipe.drain()
            if on_member is not None:
                on_member(path, digest.digest())
            yield pipe.drain()
    yield pipe.drain()
