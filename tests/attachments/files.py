"""Files for evidence tests: real images made with Pillow, hostile ones made by hand."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from pathlib import Path

from PIL import Image

SCRIPTED_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png(size: tuple[int, int] = (64, 48), color: str = "#3e63dd", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (640, 480), *, exif: Image.Exif | None = None) -> bytes:
    image = Image.new("RGB", size, "#1a7f37")
    # A stripe on the left, to tell orientation after a rotation.
    image.paste((207, 34, 46), (0, 0, size[0] // 4, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif if exif is not None else b"")
    return out.getvalue()


def exif_with_gps_and_rotation() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 7.0), 3: "E", 4: (4.0, 53.0, 28.0)}  # GPSInfo
    exif[0x010F] = "OpsCam"  # Make
    return exif


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny file claiming 10 gigapixels: a decompression bomb to anyone who decodes it."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg((800, 600))
    return data[: len(data) // 3]


def tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(out, "TIFF")
    return out.getvalue()


def multipart(
    files: list[tuple[str, bytes, str]], fields: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """A multipart body written byte by byte: test clients would clean hostile names first.

    ``files`` are (filename header value, content, content type); the header value is put in
    the body as given, so it may hold ``..``, backslashes or an RFC 5987 ``filename*``.
    """
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (fields or {}).items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for header, content, content_type in files:
        disposition = f'Content-Disposition: form-data; name="file"; {header}\r\n'
        parts.append(
            f"--{boundary}\r\n{disposition}Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def stored_files(root: Path) -> list[str]:
    """Every file under the storage root, temporary upload files included."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
