"""Posting with fan-out: how many posts per second one `pixie serve` process (PostgreSQL + Redis)
takes and delivers into the home feeds of an author's 1,000 followers. Target: 100 posts/s.

Every follower has a live feed (as if they had read their home timeline lately), so each post is
1,001 feed writes. Posts are sent over HTTP by 8 concurrent clients; the clock stops when the
last post has reached every follower's feed. The server's own dispatcher does the fan-out (the
outbox, Redis Streams; one Lua call for all the feeds of the posts waiting). Also printed: the
server's CPU time per post, fan-out included.

    .venv/bin/python bench/fan_out.py [--posts 300] [--followers 1000] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import redis.asyncio as aioredis

import verify_credentials as vc
from _support import HOST, Server, machine, report_background_load
from pixie.config import Settings
from pixie.infra.feeds import FEED_SIZE
from pixie.infra.runtime import build_runtime
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.services import accounts

REDIS_URL = "redis://127.0.0.1:6379/7"
CLIENTS = 8


async def seed(settings: Settings, followers: int) -> list[int]:
    rt = build_runtime(settings, background=False)
    await rt.start()
    try:
        author = await accounts.create_user(rt, username=vc.USERNAME, email=vc.EMAIL, password=vc.PASSWORD)
        async with rt.write() as session:
            people = [Account(username=f"follower{i}") for i in range(followers)]
            session.add_all(people)
            await session.flush()
            session.add_all(Follow(account_id=p.id, target_account_id=author.id) for p in people)
        ids = [p.id for p in people]
        for follower_id in ids:
            await rt.feeds.fill(follower_id, [])
        return ids
    finally:
        await rt.stop()


async def post_all(port: int, token: str, posts: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(posts):
        queue.put_nowait(i)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=30) as http:
            while not queue.empty():
                i = queue.get_nowait()
                started = time.perf_counter()
                r = await http.post(
                    "/api/v1/statuses",
                    data={"status": f"new picture {i}"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                r.raise_for_status()
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies


async def wait_delivered(follower_ids: list[int], posts: int, within: float) -> float:
    client = aioredis.Redis.from_url(REDIS_URL)
    deadline = time.perf_counter() + within
    try:
        while time.perf_counter() < deadline:
            async with client.pipeline(transaction=False) as pipe:
                for follower_id in follower_ids:
                    pipe.zcard(f"pixie:feed:{follower_id}")
                sizes = await pipe.execute()
            if min(sizes) >= posts + 1:  # the posts and the feed's marker
                return time.perf_counter()
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    raise TimeoutError("the posts did not reach every feed in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="`pixie serve --workers` processes")
    args = parser.parse_args()
    if args.posts >= FEED_SIZE:
        parser.error(
            f"--posts must stay under {FEED_SIZE}: a feed keeps that many, and the clock stops"
            " when all the posts are in every feed"
        )
    print(f"machine: {machine()}")
    report_background_load()
    with vc.production_setup("pixie-bench-fanout-", REDIS_URL) as setup:
        root, port, values, env = setup.root, setup.port, setup.values, setup.env
        follower_ids = asyncio.run(seed(Settings(_env_file=None, **values), args.followers))  # type: ignore[arg-type]
        server = Server.spawn(env, cwd=root, port=port, log_path=root / "server.log", workers=args.workers)
        try:
            server.wait_ready("/api/v1/instance")
            token = vc.password_token(port, scopes="read write")

            cpu_before = server.tree_cpu_seconds()

            async def run() -> tuple[float, float, list[float]]:
                started = time.perf_counter()
                waiter = asyncio.create_task(wait_delivered(follower_ids, args.posts, within=600))
                latencies = await post_all(port, token, args.posts)
                posted = time.perf_counter()
                delivered = await waiter
                return posted - started, delivered - started, latencies

            posting, delivery, latencies = asyncio.run(run())
            cpu_after = server.tree_cpu_seconds()
        finally:
            server.stop()
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000
    rate = args.posts / delivery
    print(
        f"[PostgreSQL + Redis] {args.posts} posts, one author, {args.followers} followers, {CLIENTS} clients,"
        f" {args.workers} server process(es)"
    )
    print(f"  all posts answered after {posting:.2f} s ({args.posts / posting:.1f} posts/s)")
    print(f"  posting latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"  all posts in all {args.followers} feeds after {delivery:.2f} s: {rate:.1f} posts/s fanned out")
    if cpu_before is not None and cpu_after is not None:
        print(
            f"  server CPU: {(cpu_after - cpu_before) / args.posts * 1000:.1f} ms per post, fan-out included"
        )
    verdict = "met" if rate >= 100 else "NOT met"
    print(f"  ({rate * (args.followers + 1):.0f} feed writes/s; target 100 posts/s: {verdict})")


if __name__ == "__main__":
    main()
