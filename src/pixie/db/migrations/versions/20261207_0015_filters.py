"""filters (v2): keywords and posts, per context, with an action

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filters",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("contexts", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", pixie.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_filters_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filters")),
    )
    op.create_index(op.f("ix_filters_account_id"), "filters", ["account_id"], unique=False)
    op.create_table(
        "filter_keywords",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("filter_id", sa.BigInteger(), nullable=False),
        sa.Column("keyword", sa.String(length=512), nullable=False),
        sa.Column("whole_word", sa.Boolean(), nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filter_id"],
            ["filters.id"],
            name=op.f("fk_filter_keywords_filter_id_filters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter_keywords")),
    )
    op.create_index(op.f("ix_filter_keywords_filter_id"), "filter_keywords", ["filter_id"], unique=False)
    op.create_table(
        "filter_statuses",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("filter_id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filter_id"],
            ["filters.id"],
            name=op.f("fk_filter_statuses_filter_id_filters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_filter_statuses_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter_statuses")),
    )
    op.create_index(
        "uq_filter_statuses_filter_id_status_id", "filter_statuses", ["filter_id", "status_id"], unique=True
    )
    op.create_index(op.f("ix_filter_statuses_status_id"), "filter_statuses", ["status_id"], unique=False)


def downgrade() -> None:
    op.drop_table("filter_statuses")
    op.drop_table("filter_keywords")
    op.drop_table("filters")
