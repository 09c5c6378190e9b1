"""Whether a database is at the schema this code was written for, checked without Alembic.

Importing Alembic costs a tenth of a second or more; a server checks its schema on every start,
so the check reads ``alembic_version`` itself. A test keeps HEAD_REVISION equal to the newest
migration.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pixie.db.engine import Database

HEAD_REVISION = "0017"

# Tables that migrations make by hand and no model describes: the full-text index of statuses (an
# FTS5 table and its shadow tables on SQLite, a tsvector table on PostgreSQL).
UNMANAGED_TABLES = ("status_search",)


def managed_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: leaves the hand-made tables out of model comparisons."""
    if type_ == "table" and name is not None:
        return not any(name == t or name.startswith(t + "_") for t in UNMANAGED_TABLES)
    return True


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
