"""Running migrations with Alembic (the start-up check that needs no Alembic is in schema.py)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from pixie.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant will do; every Pixie process that migrates takes the same one.
ADVISORY_LOCK_KEY = 0x50495849  # "PIXI"


def alembic_config(url: str = "") -> Config:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration history has {len(heads)} heads; merge them")
    return heads[0]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the schema to head; on PostgreSQL under an advisory lock, so two starting processes
    never migrate at once. Returns (revision before, revision after)."""

    def _upgrade(connection: Connection) -> tuple[str | None, str]:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        before = _current(connection)
        command.upgrade(cfg, "head")
        return before, head_revision()

    async with db.write_engine.connect() as connection:
        if not db.is_sqlite:
            await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            await connection.commit()
        try:
            result = await connection.run_sync(_upgrade)
            await connection.commit()
        finally:
            if not db.is_sqlite:
                await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                await connection.commit()
    return result
