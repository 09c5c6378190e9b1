"""The read path under load: timelines, a thread and grouped notifications on PostgreSQL + Redis,
for 1,000 distinct readers, against a bare Starlette app serving the same bytes in the same run.
Targets: home at least 1,000 requests/s with p99 under 50 ms; the account, hashtag and public
timelines, a context of 50 replies and grouped notifications at least 500 requests/s with p99
under 50 ms each; with ``--celebrity``, the same home load while an account with 100,000
followers posts, with p99 under 50 ms and the post in every follower's home within 10 s.

Seeding goes through Pixie's services (authors, posts with images, replies, favourites,
notifications); the 1,000 readers and the celebrity's followers are inserted in bulk, with their
counters set as the services would. The server is one `pixie serve` (PostgreSQL + Redis). wrk
rotates through a file of (token, path) pairs, so every request is a different reader in turn;
half of the home requests page with ``max_id``. Each endpoint is warmed up with every reader
first (feeds built, renderings cached), then measured.

    .venv/bin/python bench/read_path.py [--duration 10] [--only home,account,...] [--celebrity]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import insert, text

import verify_credentials as vc
from _support import HOST, PIXIE, Server, clean_env, free_port, machine, report_background_load
from pixie.config import Settings
from pixie.db.ids import new_id
from pixie.db.types import utcnow
from pixie.infra.runtime import Runtime, build_runtime
from pixie.models.accounts import Account, User
from pixie.models.follows import Follow
from pixie.models.oauth import AccessToken
from pixie.services import accounts, media, oauth, passwords, reactions, statuses
from pixie.services.tokens import digest, new_secret

REDIS_URL = "redis://127.0.0.1:6379/7"
AUTHORS = 40
POSTS_EACH = 12
READERS = 1000
FOLLOWS_EACH = 20
NOTIFIED = 50  # readers with notifications to read
NOTIFIERS = 20  # favourites and mentions each of them gets
REPLIES = 50
CELEBRITY_FOLLOWERS = 100_000
ENDPOINTS = ["home", "account", "hashtag", "public", "context", "notifications"]
TARGETS = {"home": 1000.0}  # requests/s; the others 500
P99_TARGET_MS = 50.0

# Rotates through (token, path) pairs read from a file; reports as verify_credentials' script does.
WRK_SCRIPT = (
    """
local pairs_file = "@PAIRS@"
local entries = {}
for line in io.lines(pairs_file) do
  local token, path = line:match("^(%S+) (%S+)$")
  table.insert(entries, {"Bearer " .. token, path})
end
local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end
function init(args)
  non200 = 0
  n = offset * 7919
end
function request()
  n = n + 1
  local e = entries[(n % #entries) + 1]
  return wrk.format("GET", e[2], {["Authorization"] = e[1], ["Accept"] = "application/json"})
end
"""
    + vc.WRK_REPORT
)

# The same bytes from a bare Starlette app: the floor of serving HTTP in Python on this machine.
BARE_APP = """
import json, os
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
bodies = json.load(open(os.environ["BARE_BODIES"]))
async def serve(request):
    return Response(bodies[request.url.path], media_type="application/json")
app = Starlette(routes=[Route(p, serve) for p in bodies])
"""


@dataclass
class Seeded:
    tokens: list[str]  # the readers', by reader index
    paths: dict[str, list[str]]  # per endpoint, the paths to rotate through (one per reader)
    celebrity_token: str | None


def picture(a: int, p: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), ((a * 40) % 256, (p * 25) % 256, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def _bulk_readers(
    rt: Runtime, application_id: int, count: int, prefix: str
) -> tuple[list[int], list[str]]:
    """``count`` confirmed users with a read token each, inserted at once."""
    password_hash = await passwords.hash_password(vc.PASSWORD)
    ids = [new_id() for _ in range(count)]
    raw = [new_secret() for _ in range(count)]
    async with rt.write() as session:
        await session.execute(
            insert(Account), [{"id": i, "username": f"{prefix}{n}"} for n, i in enumerate(ids)]
        )
        await session.execute(
            insert(User),
            [
                {
                    "id": new_id(),
                    "account_id": i,
                    "email": f"{prefix}{n}@example.com",
                    "password_hash": password_hash,
                    "confirmed_at": utcnow(),
                }
                for n, i in enumerate(ids)
            ],
        )
        token_ids = [new_id() for _ in range(count)]
        await session.execute(
            insert(AccessToken),
            [
                {
                    "id": t,
                    "family_id": t,
                    "token_hash": digest(secret),
                    "application_id": application_id,
                    "account_id": i,
                    "scopes": "read write",
                }
                for t, i, secret in zip(token_ids, ids, raw, strict=True)
            ],
        )
    return ids, raw


async def _bulk_follow(rt: Runtime, pairs: list[tuple[int, int]]) -> None:
    async with rt.write() as session:
        for start in range(0, len(pairs), 10_000):
            await session.execute(
                insert(Follow),
                [
                    {"id": new_id(), "account_id": a, "target_account_id": t}
                    for a, t in pairs[start : start + 10_000]
                ],
            )
        # The counters, as follows.follow keeps them.
        await session.execute(
            text(
                "UPDATE accounts SET followers_count = (SELECT count(*) FROM follows"
                " WHERE target_account_id = accounts.id), following_count = (SELECT count(*)"
                " FROM follows WHERE account_id = accounts.id)"
            )
        )


async def seed(settings: Settings, celebrity: bool) -> Seeded:
    rt = build_runtime(settings, background=False)
    await rt.start()
    rng = random.Random(13)
    try:
        started = time.perf_counter()
        authors = [
            await accounts.create_user(
                rt, username=f"author{a}", email=f"author{a}@example.com", password=vc.PASSWORD
            )
            for a in range(AUTHORS)
        ]
        app = await oauth.create_application(
            rt, name="bench", redirect_uris="urn:ietf:wg:oauth:2.0:oob", scopes="read write", website=None
        )
        reader_ids, tokens = await _bulk_readers(rt, app.application.id, READERS, "reader")
        pairs = [(r, authors[a].id) for r in reader_ids for a in rng.sample(range(AUTHORS), FOLLOWS_EACH)]
        await _bulk_follow(rt, pairs)
        posts: list[int] = []
        for p in range(POSTS_EACH):
            for a, author in enumerate(authors):
                image = await media.upload(rt, author.id, picture(a, p), description=f"Light over water, {p}")
                mention = f"@author{(a + 1) % AUTHORS}"
                body = f"Picture {p} of a series by author {a}: light over water, #series{a % 4} {mention}"
                view = await statuses.create(
                    rt, author.id, statuses.NewStatus(text=body, media_ids=[image.id])
                )
                posts.append(view.status.id)
        print(f"  seeded {len(posts)} posts by {AUTHORS} authors in {time.perf_counter() - started:.0f} s")
        # Favourites spread over the readers, so each reader's own marks differ.
        for r in reader_ids[:200]:
            for status_id in rng.sample(posts, 2):
                await reactions.favourite(rt, r, status_id)
        # A thread of 50 replies under one post.
        thread = posts[len(posts) // 2]
        for r in range(REPLIES):
            await statuses.create(
                rt, reader_ids[r], statuses.NewStatus(text=f"@author0 reply {r}", in_reply_to_id=thread)
            )
        # Notifications: favourites of, and mentions in replies to, a post by each of NOTIFIED readers.
        for n in range(NOTIFIED):
            own = await statuses.create(rt, reader_ids[n], statuses.NewStatus(text=f"My picture {n}"))
            for k in rng.sample(range(NOTIFIED, READERS), NOTIFIERS):
                if k % 2:
                    await reactions.favourite(rt, reader_ids[k], own.status.id)
                else:
                    await statuses.create(
                        rt,
                        reader_ids[k],
                        statuses.NewStatus(text=f"@reader{n} nice", in_reply_to_id=own.status.id),
                    )
        celebrity_token = None
        if celebrity:
            star = await accounts.create_user(
                rt, username="celebrity", email="celebrity@example.com", password=vc.PASSWORD
            )
            follower_ids = [new_id() for _ in range(CELEBRITY_FOLLOWERS - READERS)]
            async with rt.write() as session:
                await session.execute(
                    insert(Account), [{"id": i, "username": f"fan{n}"} for n, i in enumerate(follower_ids)]
                )
            await _bulk_follow(rt, [(f, star.id) for f in [*reader_ids, *follower_ids]])
            for p in range(5):
                await statuses.create(rt, star.id, statuses.NewStatus(text=f"Hello, everyone ({p})"))
            async with rt.write() as session:
                issued = oauth.issue_token(
                    session,
                    application_id=app.application.id,
                    account_id=star.id,
                    scopes=frozenset({"read", "write"}),
                )
            celebrity_token = issued.access_token
        async with rt.write() as session:
            # Fresh statistics, as autovacuum would gather them a minute after such a burst of
            # writes; without them PostgreSQL plans for the empty tables it saw at migration.
            await session.execute(text("ANALYZE"))
        print(f"  seeding done in {time.perf_counter() - started:.0f} s")
        middle = posts[len(posts) // 2]
        paths = {
            "home": [
                "/api/v1/timelines/home?limit=20" + (f"&max_id={middle}" if i % 2 else "")
                for i in range(READERS)
            ],
            "account": [
                f"/api/v1/accounts/{authors[i % AUTHORS].id}/statuses?limit=20" for i in range(READERS)
            ],
            "hashtag": [f"/api/v1/timelines/tag/series{i % 4}?limit=20" for i in range(READERS)],
            "public": ["/api/v1/timelines/public?limit=20" for _ in range(READERS)],
            "context": [f"/api/v1/statuses/{thread}/context" for _ in range(READERS)],
        }
        return Seeded(tokens, paths, celebrity_token)
    finally:
        await rt.stop()


@dataclass
class Load:
    label: str
    result: vc.Result


def wrk(port: int, pairs: list[tuple[str, str]], seconds: int, workdir: Path, connections: int) -> vc.Result:
    pairs_file = workdir / "pairs.txt"
    pairs_file.write_text("".join(f"{token} {path}\n" for token, path in pairs))
    script = workdir / "rotate.lua"
    script.write_text(WRK_SCRIPT.replace("@PAIRS@", str(pairs_file)))
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
        "-s", str(script), f"http://{HOST}:{port}/",
    ]  # fmt: skip
    return vc.read_wrk(
        command, seconds, f"wrk (-t2 -c{connections}), {len(pairs)} (token, path) pairs in rotation"
    )


def endpoint_pairs(seeded: Seeded, endpoint: str) -> list[tuple[str, str]]:
    if endpoint == "notifications":
        return [(seeded.tokens[i % NOTIFIED], "/api/v2/notifications?limit=20") for i in range(READERS)]
    return [(seeded.tokens[i], path) for i, path in enumerate(seeded.paths[endpoint])]


def visit_each(port: int, pairs: list[tuple[str, str]], concurrency: int = 16) -> None:
    """Every (token, path) once: the first read of each builds what later reads reuse (a
    reader's feed, the renderings of the posts), as a reader's earlier visits would have."""

    async def run() -> None:
        queue = list(dict.fromkeys(pairs))
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=60) as client:

            async def worker() -> None:
                while queue:
                    token, path = queue.pop()
                    r = await client.get(path, headers={"Authorization": f"Bearer {token}"})
                    r.raise_for_status()

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    asyncio.run(run())


def bare_bodies(port: int, pairs_by_endpoint: dict[str, list[tuple[str, str]]]) -> dict[str, bytes]:
    """One answer of each endpoint, to be served by the bare app at /{endpoint}."""
    bodies = {}
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        for endpoint, pairs in pairs_by_endpoint.items():
            token, path = pairs[0]
            r = client.get(path, headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            bodies[f"/{endpoint}"] = r.content
    return bodies


def run_bare(bodies: dict[str, bytes], seconds: int, workdir: Path, connections: int) -> dict[str, vc.Result]:
    (workdir / "bare.py").write_text(textwrap.dedent(BARE_APP))
    (workdir / "bodies.json").write_text(json.dumps({k: v.decode() for k, v in bodies.items()}))
    port = free_port()
    python = str(Path(PIXIE).parent / "python")
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "--app-dir", str(workdir), "--port", str(port), "--log-level", "warning",
         "--no-access-log", "bare:app"],
        cwd=workdir,
        env={**os.environ, "BARE_BODIES": str(workdir / "bodies.json")},
    )  # fmt: skip
    try:
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            try:
                httpx.get(f"http://{HOST}:{port}{next(iter(bodies))}")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return {
            path.strip("/"): wrk(port, [("bare", path)] * 10, seconds, workdir, connections)
            for path in bodies
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


async def celebrity_posts(port: int, seeded: Seeded, posts: int, every: float) -> list[float]:
    """Posts as the celebrity while the load runs; for each post, the seconds until every one of
    the 1,000 readers (all among its followers) has it at the top of their home timeline."""
    assert seeded.celebrity_token is not None
    took: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        for n in range(posts):
            await asyncio.sleep(every)
            r = await client.post(
                "/api/v1/statuses",
                data={"status": f"A new picture for all of you ({n})"},
                headers={"Authorization": f"Bearer {seeded.celebrity_token}"},
            )
            r.raise_for_status()
            posted_at, status_id = time.perf_counter(), r.json()["id"]
            waiting = set(range(READERS))
            sem = asyncio.Semaphore(4)

            async def check(i: int, status_id: str, waiting: set[int], sem: asyncio.Semaphore) -> None:
                async with sem:
                    home = await client.get(
                        "/api/v1/timelines/home?limit=1",
                        headers={"Authorization": f"Bearer {seeded.tokens[i]}"},
                    )
                    if home.status_code == 200 and home.json() and home.json()[0]["id"] == status_id:
                        waiting.discard(i)

            while waiting:
                if time.perf_counter() - posted_at > 60:
                    raise TimeoutError(f"{len(waiting)} readers never saw post {status_id}")
                await asyncio.gather(*(check(i, status_id, waiting, sem) for i in list(waiting)))
            took.append(time.perf_counter() - posted_at)
    return took


def report(label: str, result: vc.Result, target: float | None, bare: vc.Result | None) -> bool:
    ok = result.non200 == 0 and result.socket_errors == 0 and result.requests > 0
    met = target is not None and result.rps >= target and result.p99_ms < P99_TARGET_MS
    print(f"[{label}] {result.generator}")
    print(
        f"  {result.rps:.0f} requests/s, latency ms: p50 {result.p50_ms:.2f}  p90 {result.p90_ms:.2f}"
        f"  p99 {result.p99_ms:.2f}  max {result.max_ms:.2f}; non-200 {result.non200},"
        f" socket errors {result.socket_errors}"
    )
    if bare is not None:
        print(
            f"  bare Starlette, same bytes: {bare.rps:.0f} requests/s (p99 {bare.p99_ms:.2f} ms);"
            f" Pixie serves {result.rps / bare.rps:.1%} of it ({bare.rps / result.rps:.1f}x slower)"
        )
    if target is not None:
        verdict = "met" if met else "NOT met"
        print(f"  target {target:.0f} requests/s with p99 < {P99_TARGET_MS:.0f} ms: {verdict}")
    return ok


@contextmanager
def instance(args: argparse.Namespace) -> Iterator[tuple[vc.Production, Seeded]]:
    """A migrated, seeded PostgreSQL database and an empty Redis. With ``--keep FILE``, the
    database outlives the run and FILE names it, so later runs with the same FILE skip seeding."""
    import redis

    kept = Path(args.keep) if args.keep else None
    if kept is not None and kept.exists():
        saved = json.loads(kept.read_text())
        redis.Redis.from_url(REDIS_URL).flushdb()
        with tempfile.TemporaryDirectory(prefix="pixie-bench-read-") as tmp:
            root, port = Path(tmp), free_port()
            values = {
                **saved["values"],
                "data_dir": saved["values"]["data_dir"],
                "base_url": f"http://{HOST}:{port}",
            }
            yield vc.Production(root, port, values, clean_env(**values)), Seeded(**saved["seeded"])
        return
    with vc.production_setup("pixie-bench-read-", REDIS_URL, keep_database=kept is not None) as setup:
        print("seeding ...")
        seeded = asyncio.run(seed(Settings(_env_file=None, **setup.values), args.celebrity))  # type: ignore[arg-type]
        if kept is not None:
            media_dir = kept.with_suffix(".var")
            shutil.copytree(setup.values["data_dir"], media_dir, dirs_exist_ok=True)
            values = {**setup.values, "data_dir": str(media_dir)}
            kept.write_text(json.dumps({"values": values, "seeded": asdict(seeded)}))
        yield setup, seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="`pixie serve --workers`")
    parser.add_argument("--only", default=",".join(ENDPOINTS), help="comma-separated: " + ",".join(ENDPOINTS))
    parser.add_argument(
        "--celebrity", action="store_true", help="also: home while a 100k-follower account posts"
    )
    parser.add_argument("--keep", help="keep the seeded database, named in this file, for later runs")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Starlette comparison")
    args = parser.parse_args()
    chosen = [e for e in args.only.split(",") if e]
    if unknown := set(chosen) - set(ENDPOINTS):
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    print(f"machine: {machine()}")
    report_background_load()
    failed = False
    with instance(args) as (setup, seeded), tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = Server.spawn(
            setup.env,
            cwd=setup.root,
            port=setup.port,
            log_path=setup.root / "server.log",
            workers=args.workers,
        )
        try:
            server.wait_ready("/api/v1/instance")
            pairs = {e: endpoint_pairs(seeded, e) for e in chosen}
            results: dict[str, vc.Result] = {}
            for endpoint in chosen:
                # Every reader once (feeds built, renderings cached), then load.
                visit_each(setup.port, pairs[endpoint])
                wrk(setup.port, pairs[endpoint], max(args.warmup, 1), workdir, args.connections)
                results[endpoint] = wrk(setup.port, pairs[endpoint], args.duration, workdir, args.connections)
            celebrity: tuple[vc.Result, list[float]] | None = None
            if args.celebrity:
                seconds = max(args.duration, 15)

                async def during() -> tuple[vc.Result, list[float]]:
                    load = asyncio.create_task(
                        asyncio.to_thread(
                            wrk,
                            setup.port,
                            pairs.get("home") or endpoint_pairs(seeded, "home"),
                            seconds,
                            workdir,
                            args.connections,
                        )
                    )
                    took = await celebrity_posts(setup.port, seeded, posts=2, every=2.0)
                    return await load, took

                celebrity = asyncio.run(during())
            bodies = bare_bodies(setup.port, pairs)
            if server.process.poll() is not None:
                server.fail("the server died during the load")
        finally:
            server.stop()
        bare = {} if args.no_bare else run_bare(bodies, args.duration, workdir, args.connections)
        for endpoint in chosen:
            target = TARGETS.get(endpoint, 500.0)
            failed |= not report(endpoint, results[endpoint], target, bare.get(endpoint))
        if celebrity is not None:
            result, took = celebrity
            failed |= not report("home while a 100,000-follower account posts", result, TARGETS["home"], None)
            print(
                "  each post in all 1,000 readers' home timelines after: "
                + ", ".join(f"{t:.2f} s" for t in took)
                + f" (target 10 s: {'met' if max(took) < 10 else 'NOT met'})"
            )
    if failed:
        sys.exit("some answers were not 200: see above")


if __name__ == "__main__":
    main()
