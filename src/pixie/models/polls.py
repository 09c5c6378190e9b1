"""Polls attached to statuses, and the votes cast on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime


class Poll(IdMixin, CreatedMixin, Base):
    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_open_expires_at", "ended_at", "expires_at"),)

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    options: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    multiple: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    hide_totals: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Set once by the expiry job, which records ``poll.ended``; ``expires_at`` alone decides
    # whether voting is still open, so a late job never lets a vote in.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollVote(IdMixin, CreatedMixin, Base):
    __tablename__ = "poll_votes"
    __table_args__ = (
        Index("uq_poll_votes_poll_id_account_id_choice", "poll_id", "account_id", "choice", unique=True),
    )

    poll_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    choice: Mapped[int] = mapped_column(Integer, nullable=False)
