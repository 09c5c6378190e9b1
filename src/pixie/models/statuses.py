"""Statuses (posts), the accounts they mention, the hashtags they carry and their earlier versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime

VISIBILITIES = ("public", "unlisted", "private", "direct")


class Status(IdMixin, CreatedMixin, Base):
    __tablename__ = "statuses"
    __table_args__ = (
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("uq_statuses_account_id_idempotency_key", "account_id", "idempotency_key", unique=True),
        # One reblog per account and original: reblogging twice finds the first one.
        Index("uq_statuses_account_id_reblog_of_id", "account_id", "reblog_of_id", unique=True),
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
    # A reblog is a status of its own (no text) pointing at the original, as on Mastodon. No
    # foreign key: SQLite can only add one by rebuilding the table. Deleting the original removes
    # its reblogs (services/statuses.py), and a reblog is only seen while its original may be.
    reblog_of_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The thread's first post (the post itself when it starts one); muting a conversation mutes it.
    conversation_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
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
    # A post made from a generation carries its metadata (models/generations.py). No foreign keys,
    # for the reason given at reblog_of_id; both go with the account that owns them.
    generation_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    remix_of_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    remixes_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    # The author hides the prompt from others; remixing is allowed unless the author says no
    # (None: the account's default at the time of reading).
    hide_prompt: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    allow_remix: Mapped[bool | None] = mapped_column(Boolean)


class Mention(Base):
    __tablename__ = "mentions"

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # A mention an edit took out: it still lets the account see the post, and is not shown.
    silent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())


class Tag(IdMixin, CreatedMixin, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(200), nullable=False)  # as first written
    # ``text.fold_hashtag(name)``: every look-up compares this, on both databases.
    # (Its server default only lets the migration add it in place; every insert sets it.)
    folded: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")


Index("uq_tags_folded", Tag.folded, unique=True)


class StatusTag(Base):
    __tablename__ = "status_tags"

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StatusEdit(IdMixin, CreatedMixin, Base):
    """One version of an edited post: the first edit keeps the original too, so the history is whole."""

    __tablename__ = "status_edits"
    __table_args__ = (Index("ix_status_edits_status_id_id", "status_id", "id"),)

    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    poll_options: Mapped[list[str] | None] = mapped_column(JSON)
