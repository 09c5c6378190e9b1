"""Fixtures: a fresh database per test (SQLite, and PostgreSQL + Redis where they are up), an
ASGI client on a running app, and factories for apps, accounts and tokens."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text

from pixie.app import create_app
from pixie.config import Settings
from pixie.db.engine import Database
from pixie.db.migrate import upgrade
from pixie.infra.runtime import Runtime, build_runtime

IN_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get(
    "PIXIE_TEST_DATABASE_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test?ssl=disable"
)
REDIS_URL = os.environ.get("PIXIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Skips a test that needs a service that is down; under CI=true that is a failure instead."""
    if _reachable(port):
        return
    message = f"{name} is not running on 127.0.0.1:{port}"
    if IN_CI:
        pytest.fail(message + " (CI must run these tests: `make test` starts it)")
    pytest.skip(message)


# --- a Redis server of a test's own (to restart it) ----------------------------------------


class RedisServer:
    """A redis-server of the tests' own, without persistence: a restart loses every message."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        log = (self._directory / "redis.log").open("ab")
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self._directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(redis.ConnectionError):
                if redis.Redis(port=self.port).ping():
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop and start again."""
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed; CI must run these tests")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


# --- databases: migrated once per session, emptied per test --------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "pixie.sqlite3"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    require_service("PostgreSQL", 5432)
    schema = f"pixie_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        db = Database(PG_URL)
        async with db.write_engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await db.dispose()
        db = Database(PG_URL, schema=schema)
        await upgrade(db)
        await db.dispose()

    async def drop() -> None:
        db = Database(PG_URL)
        async with db.write_engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await db.dispose()

    asyncio.run(create())
    yield schema
    asyncio.run(drop())


async def _truncate(db: Database) -> None:
    async with db.write_engine.begin() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                        " AND tablename NOT IN ('alembic_version', 'id_nodes')"
                    )
                )
            )
            .scalars()
            .all()
        )
        if tables:
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))


@dataclass
class Backend:
    name: str
    settings_overrides: dict[str, Any]
    schema: str | None = None


@pytest.fixture(params=["embedded", "production"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Backend]:
    """Every service and API test runs twice: SQLite in-process, and PostgreSQL + Redis."""
    if request.param == "embedded":
        db_path = tmp_path / "pixie.sqlite3"
        shutil.copy(sqlite_template, db_path)
        yield Backend("embedded", {"database_url": f"sqlite+aiosqlite:///{db_path}"})
        return
    yield request.getfixturevalue("production")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3 API server (moto's server mode) on loopback, for the whole session."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path_factory.mktemp("s3") / "moto.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the S3 API server (moto) exited with {server.returncode}")
        if _reachable(port):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the S3 API server (moto) did not start within 30 s")
    yield endpoint
    server.terminate()
    server.wait(timeout=10)
    log.close()


S3_CREDENTIALS: dict[str, Any] = {
    "s3_access_key_id": "test",
    "s3_secret_access_key": "test",
    "s3_region": "us-east-1",
}


def make_bucket(endpoint: str) -> str:
    import boto3

    bucket = f"pixie-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def production(request: pytest.FixtureRequest, s3_endpoint: str) -> Backend:
    """PostgreSQL + Redis + S3: what a grown deployment runs on."""
    require_service("Redis", 6379)
    schema = request.getfixturevalue("pg_schema")
    return Backend(
        "production",
        {
            "database_url": PG_URL,
            "redis_url": REDIS_URL,
            "s3_bucket": make_bucket(s3_endpoint),
            "s3_endpoint_url": s3_endpoint,
            **S3_CREDENTIALS,
        },
        schema=schema,
    )


async def _reset_production(backend: Backend) -> None:
    import redis.asyncio as aioredis

    db = Database(PG_URL, schema=backend.schema)
    await _truncate(db)
    await db.dispose()
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


def make_settings(tmp_path: Path, backend: Backend, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "base_url": "https://pixie.test",
        "secret_key": "test-secret-key",
        **backend.settings_overrides,
        **overrides,
    }
    return Settings(_env_file=None, **values)


# --- a running app --------------------------------------------------------------------------


@dataclass
class Instance:
    """A running Pixie app with an HTTP client and factories, as a test sees it."""

    rt: Runtime
    client: httpx.AsyncClient
    settings: Settings
    backend: Backend
    tmp_path: Path
    app: Any = None

    async def app_credentials(
        self,
        scopes: str = "read write follow push",
        redirect_uris: str = "urn:ietf:wg:oauth:2.0:oob",
        **extra: Any,
    ) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/apps",
            data={"client_name": "Test client", "scopes": scopes, "redirect_uris": redirect_uris, **extra},
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def password_login(
        self, email: str, password: str = PASSWORD, scopes: str = "read write follow"
    ) -> httpx.Response:
        """The password grant through a new app, as a client logs in."""
        app = await self.app_credentials()
        return await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": email,
                "password": password,
                "scope": scopes,
            },
        )

    async def user(
        self, username: str = "alice", *, admin: bool = False, scopes: str = "read write follow"
    ) -> tuple[int, str]:
        """An account made by the operator, and a password-grant token for it."""
        from pixie.services import accounts

        email = f"{username}@example.com"
        account = await accounts.create_user(
            self.rt, username=username, email=email, password=PASSWORD, admin=admin
        )
        r = await self.password_login(email, scopes=scopes)
        assert r.status_code == 200, r.text
        return account.id, str(r.json()["access_token"])

    async def app_token(self, app: dict[str, Any], scopes: str = "read write") -> str:
        r = await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": scopes,
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def post(self, token: str, /, **data: Any) -> dict[str, Any]:
        """A status posted through the API (``status=``, ``visibility=``, ...), as its entity."""
        r = await self.client.post("/api/v1/statuses", data=data, headers=bearer(token))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def follow(self, token: str, account_id: int, **data: Any) -> None:
        r = await self.client.post(f"/api/v1/accounts/{account_id}/follow", data=data, headers=bearer(token))
        assert r.status_code == 200, r.text

    async def invite(self, **kwargs: Any) -> str:
        from pixie.services import invites

        return (await invites.create_invite(self.rt, **kwargs)).code


@asynccontextmanager
async def running(
    tmp_path: Path, backend: Backend, *, background: bool = True, **overrides: Any
) -> AsyncIterator[Instance]:
    """A started app; ``background=False`` leaves out the dispatcher, job runner and scheduler."""
    if backend.name == "production":
        await _reset_production(backend)
    settings = make_settings(tmp_path, backend, **overrides)
    db_options = {"schema": backend.schema} if backend.schema else {}
    rt = build_runtime(settings, background=background, **db_options)
    app = create_app(settings, runtime=rt)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://pixie.test") as client:
            yield Instance(rt, client, settings, backend, tmp_path, app)


@pytest.fixture
def start(tmp_path: Path, backend: Backend) -> Any:
    """``async with start(registrations="open") as px:`` for a test that needs other settings."""

    def _start(**overrides: Any) -> Any:
        return running(tmp_path, backend, **overrides)

    return _start


@pytest.fixture
async def px(tmp_path: Path, backend: Backend) -> AsyncIterator[Instance]:
    """A running instance on default settings (invite-only, rate limits on)."""
    async with running(tmp_path, backend) as instance:
        yield instance


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
