"""Reports: an account tells the instance's moderators about an account and some of its posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime

CATEGORIES = ("spam", "legal", "violation", "other")


class Report(IdMixin, CreatedMixin, Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_target_account_id_id", "target_account_id", "id"),
        Index("ix_reports_action_taken_at_id", "action_taken_at", "id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    # The reported posts and the broken rules, as the reporter chose them.
    status_ids: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    category: Mapped[str] = mapped_column(String(16), default="other", nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    forward: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    action_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
