"""Engines and sessions.

On SQLite, writes go through one connection that begins ``IMMEDIATE`` (so a write transaction
takes the lock up front instead of failing half-way with "database is locked"), reads through a
small pool of their own; WAL, a busy timeout and foreign keys are set on every connection.
On PostgreSQL both are one pooled engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_engine(url: str, *, writer: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        pool_size=1 if writer else 4,
        max_overflow=0,
        # Sessions always end their transaction before they return a connection.
        pool_reset_on_return=None,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _postgres_engine(
    url: str, echo: bool, pool_size: int, server_settings: dict[str, str], **options: Any
) -> AsyncEngine:
    """A pool of PostgreSQL connections, each started with ``server_settings``."""
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_reset_on_return=None,
        connect_args={"server_settings": server_settings},
        **options,
    )


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 20, schema: str | None = None
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, writer=True)
            self.read_engine = _sqlite_engine(url, writer=False)
            self.hot_engine = self.read_engine
        else:
            # No JIT compilation: it pays off for long analytical queries, and Pixie runs short
            # ones. A statement whose estimated cost passes PostgreSQL's threshold (a thread's
            # walk, a timeline among a hundred thousand follows) spent seconds compiling what
            # then ran in milliseconds. A schema other than public keeps test runs apart.
            settings = {"jit": "off", **({"search_path": schema} if schema else {})}
            self.write_engine = _postgres_engine(url, echo, pool_size, settings)
            # Reads run outside a transaction: under PostgreSQL's READ COMMITTED each statement
            # sees its own snapshot either way, and a BEGIN and a ROLLBACK cost two round trips
            # per session, which a short read (a handler's one query) feels. Same pool.
            self.read_engine = self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
            # Some statements of the hot read path (the public timeline's page) are planned anew
            # on every execution under PostgreSQL's default (its estimate of the one plan for
            # every value looks worse than it runs): a millisecond or more each time, several
            # times what running it costs. Their connections ask for that one plan. Others (the
            # home page) run better as the default decides, so this is a pool of its own.
            # As large as the main pool: a connection opened past the pool's size is closed
            # after each use, and a new one (connecting, planning every statement anew) cost
            # the public timeline's slowest tenth of requests 20 ms and more.
            self.hot_engine = _postgres_engine(
                url,
                echo,
                pool_size,
                {**settings, "plan_cache_mode": "force_generic_plan"},
                isolation_level="AUTOCOMMIT",
            )
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed at the end, rolled back on error."""
        async with self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def read_connection(self, *, generic_plans: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection for reads that need no ORM objects (the hot read path): cheaper
        than a session by the session's own bookkeeping. ``generic_plans``: on PostgreSQL, one
        whose statements keep one plan for every value (see ``hot_engine``)."""
        async with (self.hot_engine if generic_plans else self.read_engine).connect() as connection:
            yield connection

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if not self.is_sqlite:
            await self.hot_engine.dispose()
        if self.is_sqlite:  # on PostgreSQL both share one pool
            await self.read_engine.dispose()
