"""Throughput and latency of GET /api/v1/timelines/home?limit=20 on one `pixie serve` process.
Target on PostgreSQL + Redis: 500 requests/s with p99 under 50 ms.

The reader follows 20 accounts that wrote 10 posts each, every one with an image (original,
renditions, BlurHash), a hashtag and a mention, so every page is 20 full statuses with images.
Seeding goes through Pixie's own services, in this process, before the server starts; the load
then comes from wrk (or the asyncio client) exactly as in verify_credentials.py.

    .venv/bin/python bench/home_timeline.py [--duration 10] [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import sys
from pathlib import Path

from PIL import Image

import verify_credentials as vc
from _support import machine, report_background_load
from pixie.config import Settings
from pixie.infra.runtime import build_runtime
from pixie.services import accounts, follows, media, statuses

PATH = "/api/v1/timelines/home?limit=20"
REDIS_URL = "redis://127.0.0.1:6379/7"
AUTHORS = 20
POSTS_EACH = 10


def picture(a: int, p: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), ((a * 40) % 256, (p * 25) % 256, 160)).save(out, "JPEG", quality=90)
    return out.getvalue()


async def seed(settings: Settings) -> None:
    rt = build_runtime(settings, background=False)
    await rt.start()
    try:
        reader = await accounts.create_user(rt, username=vc.USERNAME, email=vc.EMAIL, password=vc.PASSWORD)
        for a in range(AUTHORS):
            author = await accounts.create_user(
                rt, username=f"author{a}", email=f"author{a}@example.com", password=vc.PASSWORD
            )
            await follows.follow(rt, reader.id, author.id, reblogs=None, notify=None)
            for p in range(POSTS_EACH):
                text = (
                    f"Picture {p} of a series by author {a}: light over water, #series{a % 3} @{vc.USERNAME}"
                )
                image = await media.upload(rt, author.id, picture(a, p), description=f"Light over water, {p}")
                await statuses.create(rt, author.id, statuses.NewStatus(text=text, media_ids=[image.id]))
    finally:
        await rt.stop()


def seed_database(settings: dict[str, str], root: Path) -> None:
    if "redis_url" in settings:
        import redis

        redis.Redis.from_url(settings["redis_url"]).flushdb()  # no feeds from an earlier run
    asyncio.run(seed(Settings(_env_file=None, **settings)))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    args = parser.parse_args()
    generator = "wrk" if shutil.which("wrk") else "python"
    print(f"machine: {machine()}")
    report_background_load()
    failed = False
    for backend in ["sqlite", "postgres"] if args.backend == "all" else [args.backend]:
        label = "PostgreSQL + Redis feeds" if backend == "postgres" else "SQLite, database query"
        print(f"[{label}] GET {PATH}, {args.connections} connections, {args.duration} s")
        result, cpu = vc.run_backend(
            backend, args, generator, path=PATH, redis_url=REDIS_URL, seed=seed_database
        )
        print(f"  load generator: {result.generator}")
        print(f"  requests: {result.requests} in {result.seconds:.2f} s = {result.rps:.1f} requests/s")
        print(f"  latency ms: p50 {result.p50_ms:.2f}  p90 {result.p90_ms:.2f}  p99 {result.p99_ms:.2f}")
        print(f"  non-200 answers: {result.non200}  socket errors: {result.socket_errors}")
        if cpu is not None:
            print(f"  server process CPU during the load: {cpu:.0%} of one core")
        failed = failed or result.non200 > 0 or result.socket_errors > 0 or result.requests == 0
    if failed:
        sys.exit("some answers were not 200: see above")


if __name__ == "__main__":
    main()
