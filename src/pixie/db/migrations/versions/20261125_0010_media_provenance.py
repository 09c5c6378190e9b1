"""media provenance

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 04:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get "none": they were stored before anything looked at their provenance.
    op.add_column(
        "media_attachments",
        sa.Column("provenance_label", sa.String(length=16), server_default="none", nullable=False),
    )
    op.add_column("media_attachments", sa.Column("provenance", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_attachments", schema=None) as batch_op:
        batch_op.drop_column("provenance")
        batch_op.drop_column("provenance_label")
