"""The streamed ZIP writer: a member that fails to read never costs the archive its validity."""

from __future__ import annotations

import io
import zipfile

import pytest

from executions.zipstream import CHUNK, Member, zip_stream


class Dropped(io.BytesIO):
    """Content whose reading fails once ``good`` bytes were taken, as a dropped connection."""

    def __init__(self, content: bytes, good: int) -> None:
        super().__init__(content)
        self.good = good

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.good:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size if size and size > 0 else self.good, self.good - self.tell()))


def missing() -> io.BytesIO:
    raise FileNotFoundError("/srv/attachments/r/a")


def archive(members: list[Member], sums: dict[str, bytes] | None = None) -> zipfile.ZipFile:
    def keep(path: str, digest: bytes) -> None:
        if sums is not None:
            sums[path] = digest

    bundle = zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(members, on_member=keep))))
    assert bundle.testzip() is None
    return bundle


def test_a_member_that_cannot_be_opened_is_left_out_and_reported():
    failures: list[tuple[str, int | None]] = []
    sums: dict[str, bytes] = {}

    bundle = archive(
        [
            Member("gone.bin", missing, False, lambda e, n: failures.append((type(e).__name__, n))),
            Member("kept.txt", lambda: io.BytesIO(b"kept"), True),
        ],
        sums,
    )

    assert bundle.namelist() == ["kept.txt"]
    assert failures == [("FileNotFoundError", None)]
    assert list(sums) == ["kept.txt"]


def test_a_member_failing_part_way_is_closed_short_and_the_archive_stays_valid():
    content = bytes(range(256)) * (3 * CHUNK // 256)
    failures: list[int | None] = []
    sums: dict[str, bytes] = {}

    bundle = archive(
        [
            Member(
                "cut.bin",
                lambda: Dropped(content, CHUNK + 10),
                False,
                lambda e, n: failures.append(n),
            ),
            Member("after.txt", lambda: io.BytesIO(b"after"), True),
        ],
        sums,
    )

    assert bundle.namelist() == ["cut.bin", "after.txt"]
    assert bundle.read("cut.bin") == content[: CHUNK + 10]
    assert failures == [CHUNK + 10]
    assert list(sums) == ["after.txt"]  # a short member is never vouched for
    assert bundle.read("after.txt") == b"after"


def test_without_a_handler_an_error_still_ends_the_stream():
    """Content the application makes itself (record.json, the report) must not fail quietly."""
    with pytest.raises(FileNotFoundError):
        b"".join(zip_stream([Member("record.json", missing, True)]))
