"""Hashtags an account follows: their posts join its home timeline."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin


class FollowedTag(IdMixin, CreatedMixin, Base):
    __tablename__ = "followed_tags"
    __table_args__ = (
        Index("uq_followed_tags_account_id_tag_id", "account_id", "tag_id", unique=True),
        # Who follows a tag (fan-out of a new post to its followers' home timelines).
        Index("ix_followed_tags_tag_id_account_id", "tag_id", "account_id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False)
