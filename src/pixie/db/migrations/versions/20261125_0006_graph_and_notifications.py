"""blocks, mutes, lists, notifications and markers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 01:21:37.323001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_account_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_blocks_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_blocks_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
    )
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_blocks_target_account_id_account_id", ["target_account_id", "account_id"], unique=False
        )
        batch_op.create_index(
            "uq_blocks_account_id_target_account_id", ["account_id", "target_account_id"], unique=True
        )

    op.create_table(
        "lists",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("replies_policy", sa.String(length=16), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_lists_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
    )
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.create_index("ix_lists_account_id_id", ["account_id", "id"], unique=False)

    op.create_table(
        "markers",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("timeline", sa.String(length=16), nullable=False),
        sa.Column("last_read_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_markers_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "timeline", name=op.f("pk_markers")),
    )
    op.create_table(
        "mutes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_account_id", sa.BigInteger(), nullable=False),
        sa.Column("hide_notifications", sa.Boolean(), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mutes_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_account_id"],
            ["accounts.id"],
            name=op.f("fk_mutes_target_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutes")),
    )
    with op.batch_alter_table("mutes", schema=None) as batch_op:
        batch_op.create_index("ix_mutes_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(
            "uq_mutes_account_id_target_account_id", ["account_id", "target_account_id"], unique=True
        )

    op.create_table(
        "list_accounts",
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_list_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["lists.id"], name=op.f("fk_list_accounts_list_id_lists"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_accounts")),
    )
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_list_accounts_account_id", ["account_id"], unique=False)
        batch_op.create_index("uq_list_accounts_list_id_account_id", ["list_id", "account_id"], unique=True)

    op.create_table(
        "notifications",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=True),
        sa.Column("group_key", sa.String(length=128), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["accounts.id"],
            name=op.f("fk_notifications_from_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_notifications_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_account_id_group_key_id", ["account_id", "group_key", "id"], unique=False
        )
        batch_op.create_index("ix_notifications_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_notifications_from_account_id", ["from_account_id"], unique=False)
        batch_op.create_index("ix_notifications_status_id", ["status_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_id")
        batch_op.drop_index("ix_notifications_from_account_id")
        batch_op.drop_index("ix_notifications_account_id_id")
        batch_op.drop_index("ix_notifications_account_id_group_key_id")

    op.drop_table("notifications")
    with op.batch_alter_table("list_accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_list_accounts_list_id_account_id")
        batch_op.drop_index("ix_list_accounts_account_id")

    op.drop_table("list_accounts")
    with op.batch_alter_table("mutes", schema=None) as batch_op:
        batch_op.drop_index("uq_mutes_account_id_target_account_id")
        batch_op.drop_index("ix_mutes_expires_at")

    op.drop_table("mutes")
    op.drop_table("markers")
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.drop_index("ix_lists_account_id_id")

    op.drop_table("lists")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index("uq_blocks_account_id_target_account_id")
        batch_op.drop_index("ix_blocks_target_account_id_account_id")

    op.drop_table("blocks")
