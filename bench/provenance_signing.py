"""C2PA provenance on a 1024x1024 image (the size generators return): signing a generated image's
manifest, reading a summary back, re-signing an upload that carried a manifest, and reading an
upload that has none (the cost every plain upload pays).

    .venv/bin/python bench/provenance_signing.py [--runs 30]
"""

from __future__ import annotations

import argparse
import functools
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from _support import machine, report_background_load
from pixie.media import processing, provenance

SIZE = 1024
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def image(fmt: str) -> bytes:
    size = (SIZE, SIZE)
    noise = Image.effect_noise(size, 24)
    x = Image.linear_gradient("L").resize(size)
    channels = [Image.blend(x, noise, 0.3), Image.radial_gradient("L").resize(size), noise]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def timed(runs: int, work: Callable[[], object]) -> str:
    work()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    ms = [t * 1000 for t in times]
    return f"min {min(ms):.1f} ms, median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms"


def measure(signer: provenance.ProvenanceSigner, fmt: str, mime: str, runs: int) -> None:
    data = image(fmt)
    sign = functools.partial(
        signer.sign_generated,
        data,
        mime,
        provider="diffusers",
        model="stabilityai/sdxl-turbo",
        digital_source_type=TRAINED,
        instance_title="Pixie",
        software_version="0.1.0",
    )
    signed = sign()
    cleaned = processing.process(signed, max_pixels=33_177_600).original.data
    resign = functools.partial(
        signer.resign_upload, signed, cleaned, mime, instance_title="Pixie", software_version="0.1.0"
    )
    print(
        f"{fmt} {SIZE}x{SIZE}, {len(data) // 1024} KiB; signed, it is {len(signed) - len(data)} bytes larger"
    )
    print(f"  sign_generated:        {timed(runs, sign)}")
    print(f"  read_summary:          {timed(runs, functools.partial(provenance.read_summary, signed, mime))}")
    print(f"  resign_upload:         {timed(runs, resign)}")
    print(f"  inspect, no manifest:  {timed(runs, functools.partial(provenance.inspect_image, data, mime))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="how many times to do each step (default 30)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    report_background_load()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        signer = provenance.ProvenanceSigner.development(Path(tmp) / "dev")
        print(f"development chain made and signer built: {(time.perf_counter() - started) * 1000:.0f} ms")
        for fmt, mime in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
            measure(signer, fmt, mime, args.runs)


if __name__ == "__main__":
    main()
