"""reblogs, pins, edits, muted conversations, polls and scheduled statuses

Columns are added to statuses and mentions with ALTER TABLE ADD COLUMN on SQLite too: a batch
rebuild would drop the tables, and with foreign keys on, dropping them would cascade to every row
that points at them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 01:22:20.778409
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_mutes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_conversation_mutes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_mutes")),
    )
    with op.batch_alter_table("conversation_mutes", schema=None) as batch_op:
        batch_op.create_index(
            "uq_conversation_mutes_account_id_conversation_id", ["account_id", "conversation_id"], unique=True
        )

    op.create_table(
        "scheduled_statuses",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_scheduled_statuses_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["oauth_applications.id"],
            name=op.f("fk_scheduled_statuses_application_id_oauth_applications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_statuses")),
    )
    with op.batch_alter_table("scheduled_statuses", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_statuses_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_statuses_scheduled_at"), ["scheduled_at"], unique=False
        )
        batch_op.create_index(
            "uq_scheduled_statuses_account_id_idempotency_key", ["account_id", "idempotency_key"], unique=True
        )

    op.create_table(
        "polls",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("hide_totals", sa.Boolean(), nullable=False),
        sa.Column("expires_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_polls_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_polls_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint("status_id", name=op.f("uq_polls_status_id")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_open_expires_at", ["ended_at", "expires_at"], unique=False)

    op.create_table(
        "status_edits",
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spoiler_text", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("poll_options", sa.JSON(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_edits_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["statuses.id"],
            name=op.f("fk_status_edits_status_id_statuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_edits")),
    )
    with op.batch_alter_table("status_edits", schema=None) as batch_op:
        batch_op.create_index("ix_status_edits_status_id_id", ["status_id", "id"], unique=False)

    op.create_table(
        "status_pins",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_status_pins_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_id"], ["statuses.id"], name=op.f("fk_status_pins_status_id_statuses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_pins")),
    )
    with op.batch_alter_table("status_pins", schema=None) as batch_op:
        batch_op.create_index("uq_status_pins_account_id_status_id", ["account_id", "status_id"], unique=True)

    op.create_table(
        "poll_votes",
        sa.Column("poll_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_poll_votes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
    )
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_votes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_poll_votes_poll_id_account_id_choice", ["poll_id", "account_id", "choice"], unique=True
        )

    op.add_column("mentions", sa.Column("silent", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("statuses", sa.Column("reblog_of_id", sa.BigInteger(), nullable=True))
    op.add_column("statuses", sa.Column("conversation_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_statuses_conversation_id"), "statuses", ["conversation_id"], unique=False)
    op.create_index(op.f("ix_statuses_reblog_of_id"), "statuses", ["reblog_of_id"], unique=False)
    op.create_index(
        "uq_statuses_account_id_reblog_of_id", "statuses", ["account_id", "reblog_of_id"], unique=True
    )
    _backfill_conversations()


def _backfill_conversations() -> None:
    """Every existing post joins the thread of the post it replies to, level by level."""
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE statuses SET conversation_id = id WHERE in_reply_to_id IS NULL"))
    while True:
        done = bind.execute(
            sa.text(
                "UPDATE statuses SET conversation_id = (SELECT p.conversation_id FROM statuses p"
                " WHERE p.id = statuses.in_reply_to_id) WHERE conversation_id IS NULL AND EXISTS"
                " (SELECT 1 FROM statuses p WHERE p.id = statuses.in_reply_to_id"
                " AND p.conversation_id IS NOT NULL)"
            )
        )
        if not done.rowcount:
            break
    # A reply whose chain loops or ends nowhere starts its own thread.
    bind.execute(sa.text("UPDATE statuses SET conversation_id = id WHERE conversation_id IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_statuses_account_id_reblog_of_id", table_name="statuses")
    op.drop_index(op.f("ix_statuses_reblog_of_id"), table_name="statuses")
    op.drop_index(op.f("ix_statuses_conversation_id"), table_name="statuses")
    op.drop_column("statuses", "conversation_id")
    op.drop_column("statuses", "reblog_of_id")
    op.drop_column("mentions", "silent")

    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.drop_index("uq_poll_votes_poll_id_account_id_choice")
        batch_op.drop_index(batch_op.f("ix_poll_votes_account_id"))

    op.drop_table("poll_votes")
    with op.batch_alter_table("status_pins", schema=None) as batch_op:
        batch_op.drop_index("uq_status_pins_account_id_status_id")

    op.drop_table("status_pins")
    with op.batch_alter_table("status_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_status_edits_status_id_id")

    op.drop_table("status_edits")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_open_expires_at")

    op.drop_table("polls")
    with op.batch_alter_table("scheduled_statuses", schema=None) as batch_op:
        batch_op.drop_index("uq_scheduled_statuses_account_id_idempotency_key")
        batch_op.drop_index(batch_op.f("ix_scheduled_statuses_scheduled_at"))
        batch_op.drop_index("ix_scheduled_statuses_account_id_id")

    op.drop_table("scheduled_statuses")
    with op.batch_alter_table("conversation_mutes", schema=None) as batch_op:
        batch_op.drop_index("uq_conversation_mutes_account_id_conversation_id")

    op.drop_table("conversation_mutes")
