"""Accounts (the public profile) and users (the local login behind one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime, utcnow


class Account(IdMixin, CreatedMixin, Base):
    __tablename__ = "accounts"
    username: Mapped[str] = mapped_column(String(30), nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    bot: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # [{"name": ..., "value": ..., "verified_at": null}], at most four, as Mastodon allows.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    header_key: Mapped[str | None] = mapped_column(String(255))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # Counters live on the row so a profile needs no COUNT(*); later issues keep them current.
    statuses_count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    followers_count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    following_count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    last_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(back_populates="account", uselist=False, lazy="raise")


# Usernames are unique regardless of case, as Mastodon's are.
Index("uq_accounts_username_lower", func.lower(Account.username), unique=True)


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)  # stored lowered
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(16), default="en", nullable=False)
    sign_up_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    invite_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("invites.id", ondelete="SET NULL"))
    default_visibility: Mapped[str] = mapped_column(String(16), default="public", nullable=False)
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    default_language: Mapped[str | None] = mapped_column(String(16))
    # Defaults for posts made from generations: hide the prompt from others; let others remix.
    hide_prompt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    allow_remix: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    # Who may send this account a direct message: everyone, following (those it follows), nobody.
    direct_messages: Mapped[str] = mapped_column(
        String(16), default="everyone", server_default="everyone", nullable=False
    )
    # The current answer to "use my public posts and activity to improve AI models";
    # the history of answers is in ai_training_consents.
    ai_training_consent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    ai_training_consent_version: Mapped[int | None] = mapped_column(Integer)
    ai_training_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(back_populates="user", lazy="raise")


class AiTrainingConsent(IdMixin, CreatedMixin, Base):
    """Every answer an account gave, with the version of the question it answered."""

    __tablename__ = "ai_training_consents"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
