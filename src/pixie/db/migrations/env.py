"""Alembic environment: one history for SQLite and PostgreSQL (batch mode on SQLite)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

import pixie.models  # noqa: F401  (registers every table)
from pixie.db.base import Base
from pixie.db.schema import managed_by_models

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=managed_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from pixie.db.engine import Database

    db = Database(url)
    try:
        async with db.write_engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await db.dispose()


connection: Any = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from pixie.config import Settings

    asyncio.run(_run_async(config.get_main_option("sqlalchemy.url") or Settings().database_url))
