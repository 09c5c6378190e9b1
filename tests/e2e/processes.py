"""Starting and stopping real `pixie serve` processes for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
from mastodon import Mastodon

from tests.conftest import REDIS_URL, require_service

PIXIE = Path(sys.executable).parent / "pixie"
T = TypeVar("T")
PASSWORD = "correct horse battery staple"  # of the users ``create-user`` makes
SCOPES = ["read", "write", "follow"]


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
