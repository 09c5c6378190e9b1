"""The full-text index of statuses: built by its migration from the posts already there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from pixie.db.engine import Database
from pixie.db.migrate import alembic_config, upgrade
from pixie.infra.search import parse_query, search_index_for
from pixie.models.accounts import Account
from pixie.models.statuses import Status
from tests.conftest import PG_URL, Backend

BEFORE_SEARCH = "0008-1"  # the revision before the one that made the index


@asynccontextmanager
async def fresh_database(tmp_path: Path, backend: Backend) -> AsyncIterator[Database]:
    if backend.name == "embedded":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'index.sqlite3'}")
        try:
            yield db
        finally:
            await db.dispose()
        return
    schema = f"pixie_index_{uuid.uuid4().hex[:10]}"
    admin = Database(PG_URL)
    async with admin.write_engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(PG_URL, schema=schema)
    try:
        yield db
    finally:
        await db.dispose()
        async with admin.write_engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def _downgrade(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with db.write_engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


async def test_the_migration_indexes_the_posts_already_there(tmp_path: Path, backend: Backend) -> None:
    async with fresh_database(tmp_path, backend) as db:
        await upgrade(db)
        await _downgrade(db, BEFORE_SEARCH)
        async with db.write() as session:
            author = Account(username="early")
            session.add(author)
            await session.flush()
            kept = Status(account_id=author.id, text="an old heron", spoiler_text="birds")
            gone = Status(account_id=author.id, text="a deleted heron", deleted_at=author.created_at)
            pictured = Status(account_id=author.id, text="look")
            session.add_all([kept, gone, pictured])
            await session.flush()
            # Only the columns media attachments had at that revision: the model has gained more since.
            await session.execute(
                text(
                    "INSERT INTO media_attachments (id, account_id, status_id, position, origin, type,"
                    " state, description, focus_x, focus_y, key_prefix, animated, renditions, created_at)"
                    " VALUES (:id, :account_id, :status_id, 0, 'upload', 'image', 'ready', :description,"
                    " 0.0, 0.0, :key_prefix, :animated, '{}', :created_at)"
                ),
                {
                    "id": pictured.id + 1,
                    "account_id": author.id,
                    "status_id": pictured.id,
                    "description": "a heron on one leg",
                    "key_prefix": "0" * 32,
                    "animated": False,
                    "created_at": author.created_at,
                },
            )
        await upgrade(db)
        index = search_index_for(db)

        async def found(words: str) -> set[int]:
            query = parse_query(words)
            assert query is not None
            matches = index.matches(query)
            async with db.read() as session:
                return set(await session.scalars(select(matches.c.status_id)))

        assert await found("heron") == {kept.id, pictured.id}
        assert await found("birds") == {kept.id}
        assert await found("leg heron") == {pictured.id}
        assert await found("deleted") == set()
