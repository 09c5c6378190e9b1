"""hashtags compared by a stored Unicode case fold

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00.000000

``lower(name)`` folded ASCII letters only on SQLite, so ``#Äpfel`` and ``#äpfel`` could become
two tags there (and a third spelling failed on the unique index). Each tag now keeps its folded
name; tags that fold alike are merged into the oldest, with their posts and followers.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _fold(name: str) -> str:
    # The same as pixie.services.text.fold_hashtag at this revision (a migration keeps its own copy).
    return unicodedata.normalize("NFKC", name).casefold()


def upgrade() -> None:
    # NOT NULL with a default from the start: SQLite can add such a column in place, while making
    # a column NOT NULL later rebuilds the table, and dropping the old one would cascade to every
    # post's and follower's link to its tags.
    op.add_column("tags", sa.Column("folded", sa.String(length=200), nullable=False, server_default=""))
    bind = op.get_bind()
    survivors: dict[str, int] = {}
    for tag_id, name in bind.execute(sa.text("SELECT id, name FROM tags ORDER BY id")).all():
        folded = _fold(name)
        keep = survivors.setdefault(folded, tag_id)
        if keep == tag_id:
            bind.execute(sa.text("UPDATE tags SET folded = :f WHERE id = :i"), {"f": folded, "i": tag_id})
            continue
        # A second spelling of a tag already kept: its posts and followers move to the first.
        moved = {"keep": keep, "gone": tag_id}
        bind.execute(
            sa.text(
                "INSERT INTO status_tags (status_id, tag_id) SELECT status_id, :keep FROM status_tags"
                " WHERE tag_id = :gone AND status_id NOT IN"
                " (SELECT status_id FROM status_tags WHERE tag_id = :keep)"
            ),
            moved,
        )
        bind.execute(
            sa.text(
                "UPDATE followed_tags SET tag_id = :keep WHERE tag_id = :gone AND account_id NOT IN"
                " (SELECT account_id FROM followed_tags WHERE tag_id = :keep)"
            ),
            moved,
        )
        bind.execute(sa.text("DELETE FROM status_tags WHERE tag_id = :gone"), moved)
        bind.execute(sa.text("DELETE FROM followed_tags WHERE tag_id = :gone"), moved)
        bind.execute(sa.text("DELETE FROM tags WHERE id = :gone"), moved)
    op.drop_index("uq_tags_name_lower", table_name="tags")
    op.create_index("uq_tags_folded", "tags", ["folded"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tags_folded", table_name="tags")
    op.drop_column("tags", "folded")  # SQLite 3.35 and later drop a column in place
    op.create_index("uq_tags_name_lower", "tags", [sa.text("lower(name)")], unique=True)
