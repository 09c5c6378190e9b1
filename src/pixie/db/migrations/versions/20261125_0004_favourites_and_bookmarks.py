"""favourites and bookmarks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:44:30.940617
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookmarks",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bookmarks_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_bookmarks_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookmarks")),
    )
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.create_index("uq_bookmarks_account_id_status_id", ["account_id", "status_id"], unique=True)

    op.create_table(
        "favourites",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_favourites_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_favourites_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourites")),
    )
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.create_index("ix_favourites_status_id_id", ["status_id", "id"], unique=False)
        batch_op.create_index("uq_favourites_account_id_status_id", ["account_id", "status_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.drop_index("uq_favourites_account_id_status_id")
        batch_op.drop_index("ix_favourites_status_id_id")

    op.drop_table("favourites")
    with op.batch_alter_table("bookmarks", schema=None) as batch_op:
        batch_op.drop_index("uq_bookmarks_account_id_status_id")

    op.drop_table("bookmarks")
