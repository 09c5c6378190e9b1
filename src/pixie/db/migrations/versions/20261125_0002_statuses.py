"""statuses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:21:24.502636
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
    )
    op.create_index("uq_tags_name_lower", "tags", [sa.text("lower(name)")], unique=True)
    op.create_table(
        "statuses",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("in_reply_to_id", sa.BigInteger(), nullable=True),
        sa.Column("in_reply_to_account_id", sa.BigInteger(), nullable=True),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("edited_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replies_count", sa.BigInteger(), nullable=False),
        sa.Column("reblogs_count", sa.BigInteger(), nullable=False),
        sa.Column("favourites_count", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_statuses_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["oauth_applications.id"],
            name=op.f("fk_statuses_application_id_oauth_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["in_reply_to_id"],
            ["statuses.id"],
            name=op.f("fk_statuses_in_reply_to_id_statuses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statuses")),
    )
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.create_index("ix_statuses_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statuses_in_reply_to_id"), ["in_reply_to_id"], unique=False)
        batch_op.create_index(
            "uq_statuses_account_id_idempotency_key", ["account_id", "idempotency_key"], unique=True
        )

    op.create_table(
        "mentions",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mentions_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_mentions_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("status_id", "account_id", name=op.f("pk_mentions")),
    )
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentions_account_id"), ["account_id"], unique=False)

    op.create_table(
        "status_tags",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_status_tags_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_status_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("status_id", "tag_id", name=op.f("pk_status_tags")),
    )
    with op.batch_alter_table("status_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_tags_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_tags_tag_id"))

    op.drop_table("status_tags")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentions_account_id"))

    op.drop_table("mentions")
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.drop_index("uq_statuses_account_id_idempotency_key")
        batch_op.drop_index(batch_op.f("ix_statuses_in_reply_to_id"))
        batch_op.drop_index("ix_statuses_account_id_id")

    op.drop_table("statuses")
    op.drop_index("uq_tags_name_lower", table_name="tags")
    op.drop_table("tags")
