"""Statuses (posts), the accounts they mention and the hashtags they carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime

VISIBILITIES = ("public", "unlisted", "private", "direct")


class Status(IdMixin, CreatedMixin, Base):
    __tablename__ = "statuses"
    __table_args__ = (
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("uq_statuses_account_id_idempotency_key", "account_id", "idempotency_key", unique=True),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")  # what the author wrote
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")  # sanitized HTML
    spoiler_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="public")
    language: Mapped[str | None] = mapped_column(String(16))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="SET NULL"), index=True
    )
    in_reply_to_account_id: Mapped[int | None] = mapped_column(BigInteger)
    application_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deleting keeps a tombstone: later features and dataset exports honour the deletion.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replies_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reblogs_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    favourites_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class Mention(Base):
    __tablename__ = "mentions"

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Tag(IdMixin, CreatedMixin, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(200), nullable=False)  # as first written


Index("uq_tags_name_lower", func.lower(Tag.name), unique=True)


class StatusTag(Base):
    __tablename__ = "status_tags"

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
