"""Direct conversations as each participant sees them: one row per participant and thread (with
the same others in it), pointing at its newest post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, IdMixin
from pixie.db.types import UTCDateTime, utcnow


class AccountConversation(IdMixin, Base):
    __tablename__ = "account_conversations"
    __table_args__ = (
        Index(
            "uq_account_conversations_participants",
            "account_id",
            "conversation_id",
            "participants_key",
            unique=True,
        ),
        # A participant's conversations, newest message first.
        Index("ix_account_conversations_account_id_last_status_id", "account_id", "last_status_id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    conversation_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # the thread
    # The other participants, ascending, as a list and as its comma-joined key.
    participant_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    participants_key: Mapped[str] = mapped_column(String(2000), nullable=False)
    last_status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False
    )
    unread: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
