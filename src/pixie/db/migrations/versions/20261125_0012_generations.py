"""generations, candidates, generation metadata on posts, prompt refusals

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 04:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pixie.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generations",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column("style", sa.String(length=32), nullable=True),
        sa.Column("size", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("remix_of_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("chosen_media_id", sa.BigInteger(), nullable=True),
        sa.Column("status_id", sa.BigInteger(), nullable=True),
        sa.Column("chosen_at", pixie.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_generations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_generations_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
    )
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.create_index("ix_generations_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generations_remix_of_id"), ["remix_of_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generations_status_id"), ["status_id"], unique=False)
        batch_op.create_index(
            "uq_generations_account_id_idempotency_key", ["account_id", "idempotency_key"], unique=True
        )
    op.create_table(
        "prompt_refusals",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", pixie.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_prompt_refusals_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_refusals")),
    )
    with op.batch_alter_table("prompt_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_refusals_account_id"), ["account_id"], unique=False)
    # Plain ADD COLUMN (no foreign keys): SQLite would otherwise rebuild these tables.
    op.add_column("statuses", sa.Column("generation_id", sa.BigInteger(), nullable=True))
    op.add_column("statuses", sa.Column("remix_of_id", sa.BigInteger(), nullable=True))
    op.add_column("statuses", sa.Column("remixes_count", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column(
        "statuses", sa.Column("hide_prompt", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("statuses", sa.Column("allow_remix", sa.Boolean(), nullable=True))
    op.create_index(op.f("ix_statuses_generation_id"), "statuses", ["generation_id"], unique=False)
    op.create_index(op.f("ix_statuses_remix_of_id"), "statuses", ["remix_of_id"], unique=False)
    op.add_column("media_attachments", sa.Column("generation_id", sa.BigInteger(), nullable=True))
    op.add_column("media_attachments", sa.Column("seed", sa.BigInteger(), nullable=True))
    op.create_index(
        op.f("ix_media_attachments_generation_id"), "media_attachments", ["generation_id"], unique=False
    )
    op.add_column("users", sa.Column("hide_prompt", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("allow_remix", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ drops in place): a batch rebuild of these tables would cascade.
    op.drop_index(op.f("ix_media_attachments_generation_id"), table_name="media_attachments")
    op.drop_index(op.f("ix_statuses_remix_of_id"), table_name="statuses")
    op.drop_index(op.f("ix_statuses_generation_id"), table_name="statuses")
    for table, column in (
        ("users", "allow_remix"),
        ("users", "hide_prompt"),
        ("media_attachments", "seed"),
        ("media_attachments", "generation_id"),
        ("statuses", "allow_remix"),
        ("statuses", "hide_prompt"),
        ("statuses", "remixes_count"),
        ("statuses", "remix_of_id"),
        ("statuses", "generation_id"),
    ):
        op.drop_column(table, column)
    op.drop_table("prompt_refusals")
    op.drop_table("generations")
