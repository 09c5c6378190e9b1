"""Rendering candidates with the offline `sketch` generator: prompt and seed to PNG bytes, on one core.
Target: median under 150 ms for a 1024x1024 candidate, PNG encoding included.

Each run renders a different prompt and seed (landscapes, animals, shapes, night scenes, an
abstract prompt), as the generation worker would, in one thread pinned to one CPU core. It then
re-encodes the last pictures at several zlib levels to show what the chosen level trades.

    .venv/bin/python bench/sketch_render.py [--runs 40] [--size 1024x1024] [--styles]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time

from PIL import Image

from _support import machine, report_background_load
from pixie.generation import sketch
from pixie.generation.providers import GenerationRequest, parse_size
from pixie.generation.styles import STYLES

TARGET_MS = 150.0
PROMPTS = (
    "a red sun over blue mountains",
    "a cat sitting in a meadow with flowers",
    "a sailboat on the sea at sunset",
    "a city skyline at night with stars and a moon",
    "three red hearts",
    "a castle on a hill under clouds",
    "a tropical beach with palm trees",
    "a robot and a dog",
    "a rocket flying to a planet in space",
    "a cottage in winter with snow and pine trees",
    "the meaning of life",
    "a lighthouse by the ocean during a storm",
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def render_times(
    runs: int, width: int, height: int, style: str | None
) -> tuple[list[float], list[float], list[bytes]]:
    """Wall and CPU milliseconds per candidate, and the PNGs made."""
    walls, cpus, images = [], [], []
    for i in range(runs):
        request = GenerationRequest(
            prompt=PROMPTS[i % len(PROMPTS)], seed=1000 + i, width=width, height=height, style=style
        )
        wall, cpu = time.perf_counter(), time.thread_time()
        data = sketch.render_png(request)
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        images.append(data)
    return walls, cpus, images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="candidates to render (default 40)")
    parser.add_argument("--size", default="1024x1024", help="candidate size (default 1024x1024)")
    parser.add_argument("--styles", action="store_true", help="also time each style preset")
    args = parser.parse_args()
    width, height = parse_size(args.size)

    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        pinned = f"pinned to CPU core {core}"
    else:
        pinned = "not pinned (no sched_setaffinity here)"
    print(f"machine: {machine()}; {pinned}")
    report_background_load()
    sketch.render_png(GenerationRequest(prompt=PROMPTS[0], seed=0, width=width, height=height))  # warm up

    walls, cpus, images = render_times(args.runs, width, height, None)
    median = statistics.median(walls)
    print(f"{args.runs} candidates {width}x{height}, PNG level {sketch.PNG_COMPRESS_LEVEL}, no style:")
    print(f"  wall ms: median {median:.0f}  p90 {percentile(walls, 0.9):.0f}  max {max(walls):.0f}")
    print(f"  CPU ms:  median {statistics.median(cpus):.0f}  p90 {percentile(cpus, 0.9):.0f}")
    print(f"  PNG size: median {statistics.median(len(d) for d in images) / 1024:.0f} KiB")
    verdict = "met" if median <= TARGET_MS else "NOT met"
    print(f"  target {TARGET_MS:.0f} ms median: {verdict}")

    # What the zlib level trades, on the same pictures.
    pictures = [Image.open(io.BytesIO(d)).convert("RGB") for d in images[-len(PROMPTS) :]]
    print(f"PNG encoding of {len(pictures)} of those pictures, by zlib level:")
    for level in (1, 3, 6, 9):
        times, sizes = [], []
        for picture in pictures:
            best = float("inf")
            for _ in range(
                3
            ):  # the best of three: the CPU time of encoding, less the noise of a busy machine
                out = io.BytesIO()
                started = time.thread_time()
                picture.save(out, "PNG", compress_level=level)
                best = min(best, (time.thread_time() - started) * 1000)
            times.append(best)
            sizes.append(out.tell() / 1024)
        chosen = "  (chosen)" if level == sketch.PNG_COMPRESS_LEVEL else ""
        print(
            f"  level {level}: median {statistics.median(times):.0f} ms CPU, "
            f"mean size {statistics.mean(sizes):.0f} KiB{chosen}"
        )

    if args.styles:
        runs = max(len(PROMPTS), args.runs // 4)
        print(f"by style ({runs} candidates each):")
        for style in STYLES:
            walls, cpus, images = render_times(runs, width, height, style.id)
            print(
                f"  {style.id:13} wall median {statistics.median(walls):4.0f} ms"
                f"  p90 {percentile(walls, 0.9):4.0f} ms"
                f"  CPU median {statistics.median(cpus):4.0f} ms"
                f"  size median {statistics.median(len(d) for d in images) / 1024:4.0f} KiB"
            )


if __name__ == "__main__":
    main()
