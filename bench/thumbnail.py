"""Times the thumbnail of a 24-megapixel JPEG against Pillow's bare draft decode of it.

SPEC section 12: a 24-megapixel JPEG thumbnail under 150 ms. The thumbnail is the task's own
rendering (open within the pixel cap, draft decode, EXIF orientation, resize to 400 px, strip,
WebP); the baseline is Image.open + draft + load of the same file, the least any JPEG
thumbnailer must do.

    .venv/bin/python bench/thumbnail.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _setup import django_setup, summary, timed


def make_jpeg(path: Path) -> None:
    """6000 x 4000 and photo-like: smooth shapes plus fine grain, about 8 MiB at quality 90
    (a 24 MP camera JPEG is 6 to 12 MiB; pure noise would be an unfair 14 MiB)."""
    from PIL import Image

    width, height = 6000, 4000
    gradient = Image.linear_gradient("L").resize((width, height))
    shapes = Image.effect_noise((width // 8, height // 8), 60).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.blend(shapes, Image.effect_noise((width, height), 28), 0.5)
    image = Image.merge("RGB", (gradient, grain, Image.blend(gradient.rotate(180), shapes, 0.5)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the thumbnail has to turn it upright
    image.save(path, "JPEG", quality=90, exif=exif)


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return sorted(samples)[len(samples) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    django_setup()

    from PIL import Image

    from attachments.thumbnails import render_thumbnail

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "24mp.jpg"
        make_jpeg(path)
        size_mib = path.stat().st_size / 1024 / 1024

        def thumbnail() -> None:
            render_thumbnail(str(path), "image/jpeg")

        def bare_draft_decode() -> None:
            with Image.open(path) as image:
                image.draft("RGB", (400, 400))
                image.load()

        thumbnail()  # warm the file cache and imports
        ours = timed(thumbnail, args.repeat)
        bare = timed(bare_draft_decode, args.repeat)
        # CPU time as well: on a shared machine wall time includes waiting for a core.
        ours_cpu = cpu_ms(thumbnail, args.repeat)
        bare_cpu = cpu_ms(bare_draft_decode, args.repeat)
        result = Image.open(io.BytesIO(render_thumbnail(str(path), "image/jpeg")))

    ours_p50 = sorted(ours)[len(ours) // 2]
    bare_p50 = sorted(bare)[len(bare) // 2]
    print(f"source: 6000 x 4000 JPEG, {size_mib:.1f} MiB; thumbnail {result.size} {result.format}")
    print(f"thumbnail (render_thumbnail):      {summary(ours)}")
    print(f"bare draft decode (open+draft+load): {summary(bare)}")
    print(f"thumbnail / bare decode: {ours_p50 / bare_p50:.2f}x")
    print(f"CPU time p50: thumbnail {ours_cpu:.1f} ms, bare decode {bare_cpu:.1f} ms")
    print("budget: thumbnail under 150 ms")


if __name__ == "__main__":
    main()
