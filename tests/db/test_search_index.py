"""The full-text index of statuses: built by its migration from the posts already there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection

from pixie.db.engine import Database
from pixie.db.ids import new_id
from pixie.db.migrate import alembic_config, upgrade
from pixie.db.types import UTCDateTime
from pixie.infra.search import parse_query, search_index_for
from pixie.models.accounts import Account
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


@dataclass(frozen=True)
class Posted:
    id: int


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
            # Only the columns statuses had at that revision: the model has gained more since.
            kept, gone, pictured = Posted(new_id()), Posted(new_id()), Posted(new_id())
            for post, words, spoiler, deleted in (
                (kept, "an old heron", "birds", None),
                (gone, "a deleted heron", "", author.created_at),
                (pictured, "look", "", None),
            ):
                await session.execute(
                    text(
                        "INSERT INTO statuses (id, account_id, text, content, spoiler_text, sensitive,"
                        " visibility, deleted_at, replies_count, reblogs_count, favourites_count, created_at)"
                        " VALUES (:id, :account_id, :text, '', :spoiler, :sensitive, 'public', :deleted,"
                        " 0, 0, 0, :created_at)"
                    ).bindparams(
                        bindparam("deleted", type_=UTCDateTime()),
                        bindparam("created_at", type_=UTCDateTime()),
                    ),
                    {
                        "id": post.id,
                        "account_id": author.id,
                        "text": words,
                        "spoiler": spoiler,
                        "sensitive": False,
                        "deleted": deleted,
                        "created_at": author.created_at,
                    },
                )
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
