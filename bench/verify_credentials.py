"""Throughput and latency of GET /api/v1/accounts/verify_credentials on one `pixie serve` process.

For each backend (SQLite in a temp data dir; PostgreSQL in a database of its own, made here and
dropped afterwards): migrate, create a user with the CLI, register an app and take a password-grant
token over HTTP, start one server with PIXIE_RATE_LIMITS=false, warm up, then load the endpoint at
N concurrent keep-alive connections for a fixed time. Prints requests/s, p50/p99 latency and the
count of answers other than 200 (which must be 0; the script exits 1 otherwise).

The load comes from `wrk` when it is installed, else from an asyncio client in this process; the
figures say which. Both share the machine's cores with the server.

    .venv/bin/python bench/verify_credentials.py [--duration 10] [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from _support import HOST, Server, clean_env, free_port, machine, report_background_load, run_cli

PATH = "/api/v1/accounts/verify_credentials"
PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/test"
PASSWORD = "bench password 123"
USERNAME = "bencher"
EMAIL = "bencher@example.com"

# wrk's own figures, plus an exact count of answers other than 200 across its threads (the end of
# every benchmark's wrk script; read back by ``read_wrk``).
WRK_REPORT = """
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + t:get("non200") end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non200=%d socket_errors=%d\\n",
    summary.requests, summary.duration, non200, e.connect + e.read + e.write + e.timeout))
  io.write(string.format("BENCH p50_us=%d p90_us=%d p99_us=%d max_us=%d\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""
WRK_SCRIPT = (
    """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
"""
    + WRK_REPORT
)


@dataclass
class Result:
    generator: str
    seconds: float
    requests: int
    non200: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- load generators --------------------------------------------------------------------------


def load_with_wrk(
    port: int, token: str, connections: int, seconds: int, workdir: Path, path: str = PATH
) -> Result:
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        "-H",
        f"Authorization: Bearer {token}",
        f"http://{HOST}:{port}{path}",
    ]
    return read_wrk(command, seconds, f"wrk (-t{threads} -c{connections})")


def read_wrk(command: list[str], seconds: int, generator: str) -> Result:
    """Runs wrk with a script ending in ``WRK_REPORT`` and reads its figures."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    lines = " ".join(re.findall(r"^BENCH (.*)$", done.stdout, re.M))
    values = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines)}
    if "p99_us" not in values or "requests" not in values:
        sys.exit(f"could not read wrk's figures:\n{done.stdout}{done.stderr}")
    return Result(
        generator=generator,
        seconds=values["duration_us"] / 1e6,
        requests=values["requests"],
        non200=values["non200"],
        socket_errors=values["socket_errors"],
        p50_ms=values["p50_us"] / 1000,
        p90_ms=values["p90_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
    )


async def _client(
    port: int, request: bytes, deadline: float, latencies: list[float], counts: dict[str, int]
) -> None:
    """One keep-alive connection sending requests one after another until the deadline."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if match is None:
                raise ValueError("an answer without Content-Length")
            await reader.readexactly(int(match.group(1)))
            latencies.append(time.perf_counter() - started)
            if status != 200:
                counts["non200"] += 1
            if re.search(rb"(?im)^connection:\s*close", head):
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            counts["socket_errors"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def load_with_python(port: int, token: str, connections: int, seconds: int, path: str = PATH) -> Result:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    counts = {"non200": 0, "socket_errors": 0}

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        clients = [_client(port, request, deadline, latencies, counts) for _ in range(connections)]
        await asyncio.wait_for(asyncio.gather(*clients), timeout=seconds + 30)
        return time.perf_counter() - started

    run: Callable[[Coroutine[Any, Any, float]], float] = asyncio.run
    loop_name = "asyncio"
    try:
        import uvloop

        run, loop_name = uvloop.run, "uvloop"
    except ImportError:
        pass
    try:
        elapsed = run(main())
    except TimeoutError:
        sys.exit("the load did not finish in time: the server stopped answering")
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    return Result(
        generator=f"python asyncio streams on {loop_name} ({connections} keep-alive connections)",
        seconds=elapsed,
        requests=len(latencies),
        non200=counts["non200"],
        socket_errors=counts["socket_errors"],
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        max_ms=ordered[-1] * 1000,
    )


def load(
    generator: str, port: int, token: str, connections: int, seconds: int, workdir: Path, path: str = PATH
) -> Result:
    if generator == "wrk":
        return load_with_wrk(port, token, connections, seconds, workdir, path)
    return load_with_python(port, token, connections, seconds, path)


# --- backends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Production:
    """A migrated PostgreSQL + Redis instance's settings for one run, not yet served."""

    root: Path
    port: int
    values: dict[str, str]  # the PIXIE_* settings, without the prefix
    env: dict[str, str]


@contextmanager
def production_setup(
    prefix: str, redis_url: str, *, keep_database: bool = False, **extra: str
) -> Iterator[Production]:
    """A temporary data folder, a fresh database (migrated) and an emptied Redis database."""
    import redis

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, postgres_database(keep=keep_database) as url:
        root = Path(tmp)
        port = free_port()
        values = {
            "data_dir": str(root / "var"),
            "base_url": f"http://{HOST}:{port}",
            "rate_limits": "false",
            "database_url": url,
            "redis_url": redis_url,
            **extra,
        }
        redis.Redis.from_url(redis_url).flushdb()
        env = clean_env(**values)
        run_cli(["migrate"], env, cwd=root)
        yield Production(root, port, values, env)


@contextmanager
def postgres_database(*, keep: bool = False) -> Iterator[str]:
    """A fresh, empty database for this run, dropped afterwards; yields its SQLAlchemy URL."""
    import asyncpg

    name = f"pixie_bench_{secrets.token_hex(4)}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        sys.exit(f"could not create a database on {PG_ADMIN_URL}: {exc}")
    try:
        yield f"postgresql+asyncpg://root@127.0.0.1:5432/{name}"
    finally:
        if not keep:
            asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def password_token(port: int, scopes: str = "read") -> str:
    """A password-grant token for the benchmark's user, checked with verify_credentials."""
    base = f"http://{HOST}:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        app = client.post(
            "/api/v1/apps",
            data={"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes},
        )
        app.raise_for_status()
        token = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app.json()["client_id"],
                "client_secret": app.json()["client_secret"],
                "username": EMAIL,
                "password": PASSWORD,
                "scope": scopes,
            },
        )
        token.raise_for_status()
        access_token = str(token.json()["access_token"])
        check = client.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {access_token}"}
        )
        if check.status_code != 200 or check.json().get("username") != USERNAME:
            raise RuntimeError(f"verify_credentials answered {check.status_code}: {check.text[:200]}")
    return access_token


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    """PIXIE_DATABASE_URL for the backend ("" for the embedded SQLite default)."""
    if backend == "postgres":
        with postgres_database() as url:
            yield url
    else:
        yield ""


def create_user_with_cli(settings: dict[str, str], root: Path) -> None:
    run_cli(["create-user", USERNAME, EMAIL], clean_env(**settings), cwd=root, stdin=PASSWORD + "\n")


def run_backend(
    backend: str,
    args: argparse.Namespace,
    generator: str,
    *,
    path: str = PATH,
    redis_url: str = "",
    seed: Callable[[dict[str, str], Path], None] = create_user_with_cli,
) -> tuple[Result, float | None]:
    """The measured load's result, and the server's CPU use during it (cores, or None).

    ``seed`` fills the migrated database before the server starts; it must at least create the
    benchmark's user. ``redis_url`` goes with PostgreSQL (production), never with SQLite."""
    with tempfile.TemporaryDirectory(prefix=f"pixie-bench-{backend}-") as tmp, database_url(backend) as url:
        root = Path(tmp)
        port = free_port()
        settings = {
            "data_dir": str(root / "var"),
            "base_url": f"http://{HOST}:{port}",
            "rate_limits": "false",
        }
        if url:
            settings["database_url"] = url
            if redis_url:
                settings["redis_url"] = redis_url
        env = clean_env(**settings)
        run_cli(["migrate"], env, cwd=root)
        seed(settings, root)
        server = Server.spawn(env, cwd=root, port=port, log_path=root / "server.log")
        try:
            server.wait_ready("/api/v1/instance")
            try:
                token = password_token(port)
            except (httpx.HTTPError, RuntimeError) as exc:
                server.fail(f"could not get a token: {exc}")
            if args.warmup > 0:
                load(generator, port, token, args.connections, args.warmup, root, path)
            cpu_before = server.cpu_seconds()
            result = load(generator, port, token, args.connections, args.duration, root, path)
            cpu_after = server.cpu_seconds()
            if server.process.poll() is not None:
                server.fail("the server died during the load")
        finally:
            server.stop()
    cpu = None
    if cpu_before is not None and cpu_after is not None and result.seconds:
        cpu = (cpu_after - cpu_before) / result.seconds
    return result, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of load before it, 0 for none (default 2)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk when installed (auto), or the asyncio one",
    )
    args = parser.parse_args()

    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    elif generator == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk), or use --generator python")

    print(f"machine: {machine()}")
    report_background_load()
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    failed = False
    for backend in backends:
        print(f"[{backend}] GET {PATH}, {args.connections} connections, {args.duration:g} s")
        result, server_cpu = run_backend(backend, args, generator)
        print(f"  load generator: {result.generator}")
        print(f"  requests: {result.requests} in {result.seconds:.2f} s = {result.rps:.1f} requests/s")
        print(
            f"  latency ms: p50 {result.p50_ms:.2f}  p90 {result.p90_ms:.2f}  p99 {result.p99_ms:.2f}"
            f"  max {result.max_ms:.2f}"
        )
        print(f"  non-200 answers: {result.non200}  socket errors: {result.socket_errors}")
        if server_cpu is not None:
            print(f"  server process CPU during the load: {server_cpu:.0%} of one core")
        failed = failed or result.non200 > 0 or result.socket_errors > 0 or result.requests == 0
    if failed:
        sys.exit("some answers were not 200 (or failed): see above")


if __name__ == "__main__":
    main()
