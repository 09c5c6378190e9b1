"""followed tags and search index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 01:48:37.720152
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The full-text index of statuses lives outside the ORM's tables (pixie.db.schema.UNMANAGED_TABLES):
# an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL. Both hold one row per
# status that is not deleted, made of its content warning, its text and its image descriptions;
# services/search.py keeps it current from the status.created and status.deleted events.
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE status_search USING fts5(document, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO status_search (rowid, document)"
    " SELECT s.id, s.spoiler_text || char(10) || s.text || coalesce(("
    "  SELECT char(10) || group_concat(m.description, char(10)) FROM media_attachments m"
    "  WHERE m.status_id = s.id), '')"
    " FROM statuses s WHERE s.deleted_at IS NULL",
)
POSTGRESQL_SEARCH = (
    "CREATE TABLE status_search ("
    " status_id BIGINT NOT NULL"
    "  CONSTRAINT pk_status_search PRIMARY KEY"
    "  CONSTRAINT fk_status_search_status_id_statuses REFERENCES statuses (id) ON DELETE CASCADE,"
    " document TSVECTOR NOT NULL)",
    "CREATE INDEX ix_status_search_document ON status_search USING GIN (document)",
    "INSERT INTO status_search (status_id, document)"
    " SELECT s.id, to_tsvector('simple', s.spoiler_text || chr(10) || s.text || coalesce(("
    "  SELECT chr(10) || string_agg(m.description, chr(10)) FROM media_attachments m"
    "  WHERE m.status_id = s.id), ''))"
    " FROM statuses s WHERE s.deleted_at IS NULL",
)


def upgrade() -> None:
    op.create_table(
        "followed_tags",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_followed_tags_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_followed_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followed_tags")),
    )
    with op.batch_alter_table("followed_tags", schema=None) as batch_op:
        batch_op.create_index("ix_followed_tags_tag_id_account_id", ["tag_id", "account_id"], unique=False)
        batch_op.create_index("uq_followed_tags_account_id_tag_id", ["account_id", "tag_id"], unique=True)

    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE status_search")
    with op.batch_alter_table("followed_tags", schema=None) as batch_op:
        batch_op.drop_index("uq_followed_tags_account_id_tag_id")
        batch_op.drop_index("ix_followed_tags_tag_id_account_id")

    op.drop_table("followed_tags")
