"""Blocks and mutes: one row per account and the account it blocks (or mutes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime


class Block(IdMixin, CreatedMixin, Base):
    __tablename__ = "blocks"
    __table_args__ = (
        Index("uq_blocks_account_id_target_account_id", "account_id", "target_account_id", unique=True),
        Index("ix_blocks_target_account_id_account_id", "target_account_id", "account_id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


class Mute(IdMixin, CreatedMixin, Base):
    __tablename__ = "mutes"
    __table_args__ = (
        Index("uq_mutes_account_id_target_account_id", "account_id", "target_account_id", unique=True),
        Index("ix_mutes_expires_at", "expires_at"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    hide_notifications: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # None: until unmuted. An expired mute counts as absent everywhere; clean-up deletes it later.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
