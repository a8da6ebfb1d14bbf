"""What a file is: safe names, sniffed types, verified images, download names."""

from __future__ import annotations

import pytest

from attachments.content import (
    content_disposition,
    safe_file_name,
    sniff_mime_type,
    verify_image,
)
from tests.attachments.files import (
    HTML_PAGE,
    SCRIPTED_SVG,
    jpeg,
    png,
    png_bomb,
    tiff,
)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("evidence.png", "evidence.png"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\alice\\Desktop\\shot.png", "shot.png"),
        ("a\x00b.png", "ab.png"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),  # the right-to-left override is gone
        ("  padded.log  ", "padded.log"),
        ("..", "file"),
        (".", "file"),
        ("", "file"),
        ("/", "file"),
        ("\x00\x01", "file"),
        ("Grüße aus Köln.png", "Grüße aus Köln.png"),
    ],
)
def test_file_names_lose_paths_and_control_characters(raw, safe):
    assert safe_file_name(raw) == safe


def test_long_file_names_are_cut_to_255_characters_keeping_the_extension():
    name = safe_file_name("x" * 400 + ".png")

    assert len(name) == 255
    assert name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "mime_type"),
    [
        (png(), "image/png"),
        (jpeg(), "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"PK\x03\x04rest", "application/zip"),
        (tiff(), "image/tiff"),
        (SCRIPTED_SVG, "image/svg+xml"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (HTML_PAGE, "text/html"),
        (b"  <script>alert(1)</script>", "text/html"),
        (b"2025-03-14 09:12 nginx reloaded\n", "text/plain"),
        ("Grüße\n".encode(), "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_types_are_sniffed_from_the_content(content, mime_type):
    assert sniff_mime_type(content) == mime_type


def test_text_cut_inside_a_multibyte_character_is_still_text():
    assert sniff_mime_type("ok é".encode()[:-1]) == "text/plain"


def test_only_images_pillow_verifies_are_verified(tmp_path, settings):
    good = tmp_path / "good"
    good.write_bytes(png())
    bomb = tmp_path / "bomb"
    bomb.write_bytes(png_bomb())
    fake = tmp_path / "fake"
    fake.write_bytes(b"\x89PNG\r\n\x1a\nnot really")

    assert verify_image(str(good), "image/png")
    assert not verify_image(str(bomb), "image/png")
    assert not verify_image(str(fake), "image/png")
    assert not verify_image(str(good), "image/svg+xml")
    settings.THUMBNAIL_MAX_PIXELS = 100
    assert not verify_image(str(good), "image/png")  # 64 x 48 is over a cap of 100 pixels


def test_download_names_follow_rfc_6266_and_5987():
    assert content_disposition("attachment", "report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    header = content_disposition("inline", 'Grüße "quoted"; x.png')
    assert header.startswith('inline; filename="Gru_e _quoted__ x.png";')
    assert header.endswith("filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22quoted%22%3B%20x.png")
