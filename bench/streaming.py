"""Live streams: how many open stream connections one `pixie serve` process (PostgreSQL + Redis)
holds, what each costs in memory, and how long a new post takes to reach all of them.
Targets: 10,000 connections (half SSE, half WebSocket) under 30 KB each; a post reaches every one
with p99 under 1 s.

The connections are opened by client processes of this script (the server's two cores are
shared with them, PostgreSQL and Redis), all on the public local stream, signed out. Memory is
the server's resident set after the connections are open, less before, per connection. Each
post's clock starts before its POST is sent and stops when a client has read the event.

    .venv/bin/python bench/streaming.py [--connections 10000] [--posts 5] [--clients 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

import verify_credentials as vc
from _support import HOST, Server, machine, report_background_load, run_cli

REDIS_URL = "redis://127.0.0.1:6379/7"
MARK = "pxstream"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- the client processes ---------------------------------------------------------------------


async def _sse(
    port: int, arrivals: dict[str, list[float]], opened: asyncio.Event, gate: asyncio.Semaphore
) -> None:
    async with gate:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(f"GET /api/v1/streaming/public/local HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        await writer.drain()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # the response's headers
    opened.set()
    while line := await reader.readline():
        at = time.time()
        start = line.find(MARK.encode())
        if start >= 0:
            arrivals.setdefault(line[start : start + len(MARK) + 3].decode(), []).append(at)


async def _websocket(
    port: int, arrivals: dict[str, list[float]], opened: asyncio.Event, gate: asyncio.Semaphore
) -> None:
    import websockets

    async with gate:
        ws = await websockets.connect(
            f"ws://{HOST}:{port}/api/v1/streaming?stream=public:local", compression=None, open_timeout=60
        )
    opened.set()
    async for message in ws:
        at = time.time()
        text = message if isinstance(message, str) else message.decode()
        start = text.find(MARK)
        if start >= 0:
            arrivals.setdefault(text[start : start + len(MARK) + 3], []).append(at)


async def client(port: int, sse_count: int, ws_count: int, seconds: float) -> None:
    arrivals: dict[str, list[float]] = {}
    gate = asyncio.Semaphore(100)  # connections being opened at once
    events = [asyncio.Event() for _ in range(sse_count + ws_count)]
    tasks = [asyncio.create_task(_sse(port, arrivals, events[i], gate)) for i in range(sse_count)]
    tasks += [
        asyncio.create_task(_websocket(port, arrivals, events[sse_count + i], gate)) for i in range(ws_count)
    ]
    await asyncio.gather(*(e.wait() for e in events))
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    print(json.dumps(arrivals), flush=True)
    for task in tasks:
        task.cancel()


# --- the benchmark ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--clients", type=int, default=2, help="client processes opening the connections")
    parser.add_argument("--client", nargs=4, type=int, help=argparse.SUPPRESS)  # port, sse, ws, seconds
    args = parser.parse_args()
    if args.client:
        port, sse_count, ws_count, seconds = args.client
        asyncio.run(client(port, sse_count, ws_count, seconds))
        return
    print(f"machine: {machine()}")
    report_background_load()
    with vc.production_setup("pixie-bench-streams-", REDIS_URL, log_level="warning") as setup:
        root, port, env = setup.root, setup.port, setup.env
        run_cli(["create-user", vc.USERNAME, vc.EMAIL], env, cwd=root, stdin=vc.PASSWORD + "\n")
        server = Server.spawn(env, cwd=root, port=port, log_path=root / "server.log")
        try:
            server.wait_ready("/api/v1/instance")
            token = vc.password_token(port, scopes="read write")
            with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as http:
                for i in range(3):  # warm the posting and streaming paths
                    http.post(
                        "/api/v1/statuses",
                        data={"status": f"warm {i}"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
            gc.collect()
            time.sleep(1)
            before = rss_kb(server.process.pid)
            per_client = args.connections // args.clients
            seconds = 30 + args.posts * 3
            clients = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--client",
                        str(port),
                        str(per_client // 2),
                        str(per_client - per_client // 2),
                        str(seconds),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(args.clients)
            ]
            opening = time.perf_counter()
            for c in clients:
                assert c.stdout is not None
                if c.stdout.readline().strip() != "ready":
                    server.fail("a client process could not open its connections")
            opened_in = time.perf_counter() - opening
            time.sleep(2)
            after = rss_kb(server.process.pid)
            sent: dict[str, float] = {}
            with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as http:
                for i in range(args.posts):
                    mark = f"{MARK}{i:03d}"
                    sent[mark] = time.time()
                    r = http.post(
                        "/api/v1/statuses",
                        data={"status": f"{mark} a new picture"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    r.raise_for_status()
                    time.sleep(3)
            arrivals: dict[str, list[float]] = {}
            for c in clients:
                out, _ = c.communicate(timeout=seconds + 60)
                for mark, times in json.loads(out.strip().splitlines()[-1]).items():
                    arrivals.setdefault(mark, []).extend(times)
        finally:
            for c in locals().get("clients", []):
                with contextlib.suppress(Exception):
                    c.kill()
            server.stop()
    total = per_client * args.clients
    print(
        f"[PostgreSQL + Redis] one server process, {total} connections"
        f" ({total // 2} SSE, {total - total // 2} WebSocket)"
    )
    print(
        f"  opened in {opened_in:.1f} s; server memory {before / 1024:.0f} MB -> {after / 1024:.0f} MB:"
        f" {(after - before) / total:.1f} KB per connection (target 30 KB)"
    )
    latencies = []
    missing = 0
    for mark, at in sent.items():
        got = arrivals.get(mark, [])
        missing += total - len(got)
        latencies += [t - at for t in got]
    latencies.sort()
    slowest = [
        max(arrivals.get(mark, [at])) - at for mark, at in sent.items()
    ]  # when each post had reached everyone
    if latencies:
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[int(len(latencies) * 0.99)]
        print(
            f"  {args.posts} posts: {len(latencies)} deliveries, {missing} missing;"
            f" p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
            " (target p99 < 1 s)"
        )
        print("  each post in every connection after: " + ", ".join(f"{t * 1000:.0f} ms" for t in slowest))
    else:
        print("  no post arrived anywhere")


if __name__ == "__main__":
    main()
