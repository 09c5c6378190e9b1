"""Statuses written now and published later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime


class ScheduledStatus(IdMixin, CreatedMixin, Base):
    __tablename__ = "scheduled_statuses"
    __table_args__ = (
        Index("ix_scheduled_statuses_account_id_id", "account_id", "id"),
        Index(
            "uq_scheduled_statuses_account_id_idempotency_key", "account_id", "idempotency_key", unique=True
        ),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # What POST /api/v1/statuses was given (text, spoiler_text, sensitive, visibility, language,
    # in_reply_to_id, poll), validated when it was scheduled.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    application_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
