"""Fake but plausible screenshots for the demo records, drawn with Pillow."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1280, 800
TERMINAL_BG = (13, 17, 23)
TERMINAL_TEXT = (201, 209, 217)
PROMPT = (126, 231, 135)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def terminal(title: str, lines: list[str]) -> bytes:
    """A dark terminal window with a title bar and ``lines`` of output."""
    image = Image.new("RGB", (WIDTH, HEIGHT), TERMINAL_BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 36), fill=(33, 38, 45))
    for index, colour in enumerate(((255, 95, 86), (255, 189, 46), (39, 201, 63))):
        draw.ellipse((14 + index * 22, 11, 28 + index * 22, 25), fill=colour)
    draw.text((WIDTH // 2, 18), title, fill=(139, 148, 158), font=_font(15), anchor="mm")
    font = _font(20)
    for row, line in enumerate(lines):
        colour = PROMPT if line.startswith("$") else TERMINAL_TEXT
        draw.text((24, 60 + row * 30), line, fill=colour, font=font)
    return _png(image)


def dashboard(title: str, values: list[float], *, dip_at: int | None = None) -> bytes:
    """A light monitoring panel: a title, axes and a line of ``values`` (0..1)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 56), fill=(246, 248, 250))
    draw.text((32, 28), title, fill=(31, 35, 40), font=_font(22), anchor="lm")
    left, top, right, bottom = 80, 110, WIDTH - 60, HEIGHT - 90
    for step in range(5):
        y = top + step * (bottom - top) // 4
        draw.line((left, y, right, y), fill=(228, 233, 238), width=1)
    draw.line((left, top, left, bottom), fill=(209, 217, 224), width=2)
    draw.line((left, bottom, right, bottom), fill=(209, 217, 224), width=2)
    step_x = (right - left) / max(len(values) - 1, 1)
    points = [(left + i * step_x, bottom - v * (bottom - top)) for i, v in enumerate(values)]
    draw.line(points, fill=(62, 99, 221), width=4, joint="curve")
    if dip_at is not None:
        x = points[dip_at][0]
        draw.line((x, top, x, bottom), fill=(207, 34, 46), width=2)
    draw.text((left, bottom + 30), "last 30 minutes", fill=(89, 99, 110), font=_font(16))
    return _png(image)
