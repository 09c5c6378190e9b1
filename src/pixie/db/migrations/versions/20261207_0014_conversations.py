"""direct conversations per participant, and who may send an account direct messages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("direct_messages", sa.String(length=16), server_default="everyone", nullable=False)
    )
    op.create_table(
        "account_conversations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("participants_key", sa.String(length=2000), nullable=False),
        sa.Column("last_status_id", sa.BigInteger(), nullable=False),
        sa.Column("unread", sa.Boolean(), nullable=False),
        sa.Column("updated_at", pixie.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_conversations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_status_id"],
            ["statuses.id"],
            name=op.f("fk_account_conversations_last_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_conversations")),
    )
    op.create_index(
        "uq_account_conversations_participants",
        "account_conversations",
        ["account_id", "conversation_id", "participants_key"],
        unique=True,
    )
    op.create_index(
        "ix_account_conversations_account_id_last_status_id",
        "account_conversations",
        ["account_id", "last_status_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_account_conversations_account_id_last_status_id", table_name="account_conversations")
    op.drop_index("uq_account_conversations_participants", table_name="account_conversations")
    op.drop_table("account_conversations")
    op.drop_column("users", "direct_messages")
