"""What a file is, decided from its bytes: safe names, sniffed types, verified images.

Nothing here trusts the client: the name is cleaned, the type is read from the content, and an
image is only called one after Pillow opened and verified it within the pixel cap.
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO
from urllib.parse import quote

from django.conf import settings
from PIL import Image

from attachments.models import IMAGE_TYPES

MAX_NAME = 255
SNIFF_BYTES = 4096
FALLBACK_NAME = "file"
OCTET_STREAM = "application/octet-stream"

# (offset, signature, type): the usual magic numbers, enough to label evidence honestly.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"PK\x05\x06", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"BZh", "application/x-bzip2"),
    (0, b"\xfd7zXZ\x00", "application/x-xz"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"\x28\xb5\x2f\xfd", "application/zstd"),
    (0, b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (257, b"ustar", "application/x-tar"),
)
TEXT_CONTROLS = {9, 10, 12, 13}  # tab, line feed, form feed, carriage return


def safe_file_name(raw: str) -> str:
    """The user's file name without path parts or control characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", str(raw))
    # Both separators: a name made on Windows ("C:\\evil\\..\\x") is just as much a path.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Every "other" character: controls (NUL, newline), format characters such as the
    # right-to-left override that disguises "gpj.exe", surrogates and unassigned code points.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip()
    if not name.strip("."):  # "", "." and ".." name nothing
        return FALLBACK_NAME
    if len(name) > MAX_NAME:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: MAX_NAME - len(ext)] + ext
    return name


def _looks_like_text(head: bytes) -> str | None:
    """The head decoded as UTF-8 text, or None when it is binary."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sample is still text.
        if error.start < len(head) - 3:
            return None
        text = head[: error.start].decode("utf-8")
    if any(ord(ch) < 32 and ord(ch) not in TEXT_CONTROLS for ch in text):
        return None
    return text


def _text_type(text: str) -> str:
    start = text.lstrip("\ufeff \t\r\n").lower()
    head = start[:1024]
    if "<svg" in head and start.startswith(("<svg", "<?xml")):
        return "image/svg+xml"
    markers = ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")
    if start.startswith(markers) or any(marker in head for marker in markers):
        return "text/html"
    if start.startswith("<?xml"):
        return "application/xml"
    if start.startswith("%!ps"):
        return "application/postscript"
    return "text/plain"


def sniff_mime_type(head: bytes) -> str:
    """The type of content starting with ``head``; the client's claim is never consulted."""
    if not head:
        return OCTET_STREAM
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for offset, signature, mime_type in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime_type
    text = _looks_like_text(head)
    return _text_type(text) if text is not None else OCTET_STREAM


def sniff_file(file: IO[bytes]) -> str:
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return sniff_mime_type(head)


def open_image(source: str | BinaryIO, mime_type: str) -> Image.Image:
    """Opens an image of one of the four decodable formats, within the pixel cap.

    Must be called with DecompressionBombWarning turned into an error (see ``bomb_guard``).
    Raises ``ValueError`` when the image is larger than ``THUMBNAIL_MAX_PIXELS``.
    """
    image = Image.open(source, formats=[IMAGE_TYPES[mime_type]])
    width, height = image.size
    if width * height > settings.THUMBNAIL_MAX_PIXELS:
        image.close()
        raise ValueError(f"{width} x {height} pixels is more than the pixel cap")
    return image


@contextmanager
def bomb_guard() -> Iterator[None]:
    """Pillow's decompression-bomb warning as an error, for the duration of a block."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def verify_image(path: str, mime_type: str) -> bool:
    """True when Pillow opens ``path`` as ``mime_type`` within the pixel cap and verifies it."""
    if mime_type not in IMAGE_TYPES:
        return False
    try:
        with bomb_guard(), open_image(path, mime_type) as image:
            image.verify()
    # Pillow signals bad input with many types (OSError, SyntaxError, ValueError, struct.error,
    # DecompressionBombError...): any of them means "not a verified image".
    except Exception:
        return False
    return True


def content_disposition(disposition: str, file_name: str) -> str:
    """``attachment``/``inline`` with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    fallback = (
        "".join(
            ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_"
            for ch in unicodedata.normalize("NFKD", file_name)
            if not unicodedata.combining(ch)
        ).strip()
        or FALLBACK_NAME
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
