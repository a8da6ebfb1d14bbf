"""Thumbnail rendering: decode safely, orient, shrink, strip, encode as WebP.

Only JPEG, PNG, GIF and WebP are decoded, under ``THUMBNAIL_MAX_PIXELS`` with Pillow's bomb
warning as an error. Anything Pillow refuses is a :class:`ThumbnailRefused`, which the caller
records as ``failed``: a bad image never crashes a worker and is never retried.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image, ImageOps

from attachments.content import bomb_guard, open_image

MAX_SIDE = 400
WEBP_QUALITY = 80


class ThumbnailRefused(Exception):
    """The file is not an image we decode: corrupt, truncated, a bomb, over the cap."""


def render_thumbnail(source: str | BinaryIO, mime_type: str) -> bytes:
    """WebP bytes of an at most 400 px thumbnail, upright, with no metadata at all."""
    try:
        with bomb_guard(), open_image(source, mime_type) as image:
            # JPEG: decode at 1/2, 1/4 or 1/8 scale, still at least 400 px on each side.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            upright = ImageOps.exif_transpose(image)
            assert upright is not None
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                upright.mode == "P" and "transparency" in upright.info
            )
            converted = upright.convert("RGBA" if has_alpha else "RGB")
            converted.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BICUBIC, reducing_gap=2.0)
            # A new image from the bare pixels: no EXIF (GPS!), ICC, XMP or comments survive.
            clean = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    # Pillow reports bad input with many types (OSError for truncation, SyntaxError,
    # ValueError, struct.error, DecompressionBombError/Warning, MemoryError for absurd headers);
    # every one of them means this file gets no thumbnail.
    except Exception as error:
        raise ThumbnailRefused(f"{type(error).__name__}: {error}") from error
    out = io.BytesIO()
    # Method 2 of 0-6: at 400 px the slower methods save a few KB for twice the time.
    clean.save(out, "WEBP", quality=WEBP_QUALITY, method=2)
    return out.getvalue()
