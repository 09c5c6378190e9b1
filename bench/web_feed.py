"""Server time of the web app's home feed: GET / for a signed-in reader whose feed holds 20 posts
with images (the same seed as home_timeline.py), rendered to HTML. Target: under 50 ms.

The requests go to the app in this process (ASGI, no network), one after another, so each figure
is the time the server spends on one page: the session look-up, the feed read, the Mastodon
entities, the cards and the Jinja2 render.

    .venv/bin/python bench/web_feed.py [--requests 200] [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import home_timeline
import verify_credentials as vc
from _support import machine, report_background_load
from pixie.app import create_app
from pixie.config import Settings
from pixie.db.migrate import upgrade
from pixie.services import accounts, web_sessions
from pixie.web.deps import SESSION_COOKIE

TARGET_MS = 50.0


async def measure(settings: Settings, requests: int) -> list[float]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        reader = await accounts.lookup(rt, vc.USERNAME)
        token = await web_sessions.start(rt, reader.id, user_agent="bench", ip="127.0.0.1")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            client.cookies.set(SESSION_COOKIE, token)
            first = await client.get("/")
            assert first.status_code == 200 and first.text.count("<article") == 20, first.text[:500]
            for _ in range(20):  # warm-up
                await client.get("/")
            took = []
            for _ in range(requests):
                started = time.perf_counter()
                r = await client.get("/")
                took.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="sqlite")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    report_background_load()
    for backend in ["sqlite", "postgres"] if args.backend == "all" else [args.backend]:
        with tempfile.TemporaryDirectory() as root, contextlib.ExitStack() as stack:
            values: dict[str, str] = {
                "data_dir": str(Path(root) / "var"),
                "base_url": "http://127.0.0.1:8000",
                "secret_key": "bench",
                "rate_limits": "false",
            }
            if backend == "postgres":
                values["database_url"] = stack.enter_context(vc.postgres_database())
                values["redis_url"] = home_timeline.REDIS_URL
            settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
            asyncio.run(_migrate(settings))
            home_timeline.seed_database(values, Path(root))
            took = asyncio.run(measure(settings, args.requests))
        took.sort()
        p95 = took[int(len(took) * 0.95) - 1]
        label = "PostgreSQL + Redis" if backend == "postgres" else "SQLite"
        print(f"[{label}] GET / (home feed, 20 posts with images), {len(took)} requests one at a time")
        print(
            f"  server time ms: min {took[0]:.1f}  median {statistics.median(took):.1f}  "
            f"p95 {p95:.1f}  max {took[-1]:.1f}  (target: under {TARGET_MS:.0f})"
        )


async def _migrate(settings: Settings) -> None:
    from pixie.db.engine import Database

    db = Database(settings.database_url)
    await upgrade(db)
    await db.dispose()


if __name__ == "__main__":
    main()
