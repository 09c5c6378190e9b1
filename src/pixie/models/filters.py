"""Filters (Mastodon's v2): an account's rules for posts it would rather not see, by keyword or by
post, each for some contexts, with the action taken (warn, hide, blur)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime, utcnow


class Filter(IdMixin, CreatedMixin, Base):
    __tablename__ = "filters"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(256), nullable=False)
    contexts: Mapped[list[str]] = mapped_column(JSON, nullable=False)  # home, notifications, public, ...
    action: Mapped[str] = mapped_column(String(8), nullable=False, default="warn")  # warn, hide, blur
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class FilterKeyword(IdMixin, CreatedMixin, Base):
    __tablename__ = "filter_keywords"

    filter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("filters.id", ondelete="CASCADE"), nullable=False, index=True
    )
    keyword: Mapped[str] = mapped_column(String(512), nullable=False)
    whole_word: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class FilterStatus(IdMixin, CreatedMixin, Base):
    __tablename__ = "filter_statuses"
    __table_args__ = (Index("uq_filter_statuses_filter_id_status_id", "filter_id", "status_id", unique=True),)

    filter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("filters.id", ondelete="CASCADE"), nullable=False
    )
    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False, index=True
    )
