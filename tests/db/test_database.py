"""Ids, times and the one migration history, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from pixie.db.base import Base
from pixie.db.engine import Database
from pixie.db.ids import IdGenerator, id_at, time_of
from pixie.db.migrate import head_revision, upgrade
from pixie.db.schema import HEAD_REVISION, SchemaNotAtHead, check_at_head, managed_by_models
from pixie.infra.id_nodes import IdNodeLease
from pixie.models.accounts import Account
from tests.conftest import PG_URL, Backend, running


def test_ids_follow_mastodons_layout_and_sort_by_time() -> None:
    gen = IdGenerator(node=5)
    ids = [gen.next_id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    now = datetime.now(UTC)
    assert abs(time_of(ids[-1]) - now) < timedelta(seconds=2)
    assert (ids[0] >> 8) & 0xFF == 5  # the node's bits
    assert id_at(now - timedelta(seconds=5)) < ids[0] < id_at(now + timedelta(seconds=5))
    assert ids[-1] < 2**63


def test_two_nodes_never_collide_in_the_same_millisecond() -> None:
    a, b = IdGenerator(node=1), IdGenerator(node=2)
    first = {a.next_id() for _ in range(3000)}
    second = {b.next_id() for _ in range(3000)}
    assert not first & second


async def test_each_process_leases_its_own_node(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        leases = [IdNodeLease(px.rt.db) for _ in range(3)]
        nodes = [await lease.acquire() for lease in leases]
        assert len({*nodes, px.rt.id_node.node}) == 4  # the running app holds one too
        await leases[0].release()
        again = IdNodeLease(px.rt.db)
        assert await again.acquire() == nodes[0]  # a released node is free again
        short = IdNodeLease(px.rt.db, lease=timedelta(seconds=-1))  # a holder that died long ago
        taken = await short.acquire()
        assert await IdNodeLease(px.rt.db).acquire() == taken


async def test_times_come_back_timezone_aware_utc(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
        async with px.rt.db.write() as session:
            account = Account(username="timely", created_at=moment.astimezone(timezone(timedelta(hours=2))))
            session.add(account)
        async with px.rt.db.read() as session:
            stored = await session.get(Account, account.id)
        assert stored is not None
        assert stored.created_at == moment
        assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset() == timedelta(0)


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"include_name": managed_by_models})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning", "ignore:.*expression-based index")
async def test_migrations_build_exactly_the_models(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px, px.rt.db.read_engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    # SQLite cannot reflect the expression index on lower(username); everything else must match.
    assert diff == []


def test_the_server_knows_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION


async def test_a_database_behind_head_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with pytest.raises(SchemaNotAtHead, match="pixie migrate"):
            await check_at_head(db)
        before, after = await upgrade(db)
        assert (before, after) == (None, head_revision())
        await check_at_head(db)
        assert await upgrade(db) == (head_revision(), head_revision())  # idempotent
    finally:
        await db.dispose()


async def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    try:
        async with db.read() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
    finally:
        await db.dispose()


async def test_concurrent_migrations_on_postgresql_take_turns(production: Backend) -> None:
    """Two processes starting at once: the advisory lock lets one migrate, the other finds head."""
    import uuid

    schema = f"pixie_mig_{uuid.uuid4().hex[:8]}"
    admin = Database(PG_URL)
    async with admin.write_engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        dbs = [Database(PG_URL, schema=schema) for _ in range(2)]
        results = await asyncio.gather(*(upgrade(db) for db in dbs))
        befores = sorted(str(before) for before, _ in results)
        assert befores == sorted([str(None), head_revision()])  # one migrated, one found it done
        for db in dbs:
            await check_at_head(db)
            await db.dispose()
    finally:
        async with admin.write_engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
