"""Writing a ZIP archive as a stream of bytes, with memory bounded by one chunk.

The standard library's zipfile writes to unseekable streams (using data descriptors), so a
writer that hands over what it has received after every write is all a streamed download needs.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, NamedTuple

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


class Member(NamedTuple):
    """A file of the archive: its path, a callable that opens its content for reading, and
    whether to compress it (images and archives are stored as they are: deflating them again
    costs CPU and saves nothing)."""

    path: str
    opener: Callable[[], IO[bytes]]
    compress: bool
    # For content read from a storage that may fail (evidence files): called with the error and
    # the bytes already in the archive (None: it failed before its entry began, so the archive
    # has no entry of that name). The archive then goes on with the next member. Without it an
    # error ends the stream, as it should for content the application makes itself.
    on_error: Callable[[Exception, int | None], None] | None = None


def _now() -> tuple[int, int, int, int, int, int]:
    return time.localtime()[:6]


def _close(source: IO[bytes], member: Member) -> None:
    try:
        source.close()
    except Exception:
        # Whatever was read is in the archive by now: for content from a storage that may
        # fail, a failing close costs the archive nothing.
        if member.on_error is None:
            raise


def _first_chunk(member: Member) -> tuple[IO[bytes], bytes] | None:
    """Opens the member and reads its first chunk before its entry begins, so that content
    which cannot be read at all (missing, unreachable: on S3 often known only at the first read)
    leaves no entry behind. None when that failed and ``on_error`` took it."""
    source: IO[bytes] | None = None
    try:
        source = member.opener()
        return source, source.read(CHUNK)
    except Exception as error:
        if source is not None:
            _close(source, member)
        if member.on_error is None:
            raise
        member.on_error(error, None)
        return None


def zip_stream(members: Iterable[Member], *, on_member: Callable[[str, bytes], None] | None = None
               ) -> Iterator[bytes]:  # fmt: skip
    """Yields the bytes of a ZIP holding ``members``; each member is read CHUNK by CHUNK.

    ``on_member`` is called with the path and SHA-256 digest of each member written whole; a
    member whose reading failed (see ``Member.on_error``) is not passed to it.
    """
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for member in members:
            started = _first_chunk(member)
            if started is None:
                continue
            source, chunk = started
            digest = hashlib.sha256()
            written = 0
            failure: Exception | None = None
            info = zipfile.ZipInfo(member.path, date_time=_now())
            info.compress_type = zipfile.ZIP_DEFLATED if member.compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            try:
                with zf.open(info, mode="w", force_zip64=True) as target:
                    while chunk:
                        digest.update(chunk)
                        target.write(chunk)
                        written += len(chunk)
                        if pipe.parts:
                            yield pipe.drain()
                        try:
                            chunk = source.read(CHUNK)
                        except Exception as error:
                            if member.on_error is None:
                                raise
                            failure = error
                            break
                # Closing the entry wrote the size and CRC of what it holds, so after a failure
                # part-way the archive stays valid, with this member cut short.
            finally:
                _close(source, member)
            if failure is not None:
                assert member.on_error is not None
                member.on_error(failure, written)
            elif on_member is not None:
                on_member(member.path, digest.digest())
            yield pipe.drain()
    yield pipe.drain()
