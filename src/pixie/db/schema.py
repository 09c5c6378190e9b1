"""Whether a database is at the schema this code was written for, checked without Alembic.

Importing Alembic costs a tenth of a second or more; a server checks its schema on every start,
so the check reads ``alembic_version`` itself. A test keeps HEAD_REVISION equal to the newest
migration.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pixie.db.engine import Database

HEAD_REVISION = "0007"


class SchemaNotAtHead(RuntimeError):
    pass


async def current_revision(db: Database) -> str | None:
    try:
        async with db.read() as session:
            found = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:
        return None  # no alembic_version table: nothing was ever migrated
    return found[0] if len(found) == 1 else None


async def check_at_head(db: Database) -> None:
    current = await current_revision(db)
    if current != HEAD_REVISION:
        raise SchemaNotAtHead(
            f"the database schema is at {current or 'nothing'}, not at {HEAD_REVISION}: run `pixie migrate`"
        )
