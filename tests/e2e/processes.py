"""Starting and stopping real `pixie serve` processes for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from mastodon import Mastodon
from sqlalchemy import text

from pixie.db.engine import Database
from tests.conftest import PG_URL, REDIS_URL, require_service

PIXIE = Path(sys.executable).parent / "pixie"
T = TypeVar("T")
PASSWORD = "correct horse battery staple"  # of the users ``create-user`` makes
SCOPES = ["read", "write", "follow"]


@contextmanager
def fresh_database() -> Iterator[str]:
    """A PostgreSQL database of its own, dropped afterwards."""
    require_service("PostgreSQL", 5432)
    name = f"pixie_e2e_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        db = Database(PG_URL)
        async with db.write_engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await db.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.replace("/test?", f"/{name}?")
    finally:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))


def shared_redis_url() -> str:
    """A Redis database of its own for servers under test, emptied first: their consumers must
    see only this test's events."""
    require_service("Redis", 6379)
    import redis

    url = os.environ.get("PIXIE_TEST_E2E_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + "/13")
    redis.Redis.from_url(url).flushdb()
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any PIXIE_* variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXIE_")}
    env.update({f"PIXIE_{k.upper()}": v for k, v in settings.items()})
    return env


def pixie(args: list[str], *, env: dict[str, str], cwd: Path, stdin: str = "") -> str:
    done = subprocess.run(
        [str(PIXIE), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"pixie {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Server:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    env: dict[str, str], cwd: Path, *, port: int | None = None, name: str = "server"
) -> Iterator[Server]:
    """A running `pixie serve`, stopped (terminate, then kill) on the way out."""
    port = port or free_port()
    log_path = cwd / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PIXIE), "serve", "--port", str(port)], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not answer within 30 s:\n{server.log()}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def eventually(check: Callable[[], T | None], what: str, seconds: float = 10.0) -> T:
    """What ``check`` answers once it answers something (the search index, background jobs)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def log_in(base: str, email: str, app: tuple[str, str]) -> Mastodon:
    """Mastodon.py signed in as a user made with ``PASSWORD``."""
    api = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=base, request_timeout=10)
    api.log_in(username=email, password=PASSWORD, scopes=SCOPES, allow_http=True)
    return api


@dataclass(frozen=True)
class TwoServers:
    first: Server
    second: Server
    env: dict[str, str]  # the first's, for `pixie` commands beside them
    redis_url: str


@contextmanager
def two_servers(tmp_path: Path, users: Sequence[str], *, one_address: bool = False) -> Iterator[TwoServers]:
    """Two `pixie serve` processes sharing a new PostgreSQL database and Redis, as a production
    deployment runs, with ``users`` made (``name@example.com``, ``PASSWORD``). ``one_address``:
    both answer to the first's public address, as behind a load balancer (the links one renders
    are right for readers of the other); else each to its own."""
    redis_url = shared_redis_url()
    with fresh_database() as database:
        ports = [free_port(), free_port()]
        common = {
            "database_url": database,
            "redis_url": redis_url,
            "data_dir": str(tmp_path / "var"),
            "secret_key": secrets.token_urlsafe(32),
            "rate_limits": "false",
        }
        addresses = [ports[0], ports[0]] if one_address else ports
        envs = [clean_env(**common, base_url=f"http://127.0.0.1:{a}") for a in addresses]
        pixie(["migrate"], env=envs[0], cwd=tmp_path)
        for name in users:
            email = f"{name}@example.com"
            pixie(["create-user", name, email], env=envs[0], cwd=tmp_path, stdin=PASSWORD + "\n")
        with (
            serve(envs[0], tmp_path, port=ports[0], name="first") as first,
            serve(envs[1], tmp_path, port=ports[1], name="second") as second,
        ):
            yield TwoServers(first, second, envs[0], redis_url)
