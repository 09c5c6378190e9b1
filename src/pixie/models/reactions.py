"""What an account does to a status without writing one: favourites, bookmarks, pins, and muted
conversations; one row per account and status (or thread)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin


class Favourite(IdMixin, CreatedMixin, Base):
    __tablename__ = "favourites"
    __table_args__ = (
        Index("uq_favourites_account_id_status_id", "account_id", "status_id", unique=True),
        Index("ix_favourites_status_id_id", "status_id", "id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False
    )


class Bookmark(IdMixin, CreatedMixin, Base):
    __tablename__ = "bookmarks"
    __table_args__ = (Index("uq_bookmarks_account_id_status_id", "account_id", "status_id", unique=True),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False
    )


class StatusPin(IdMixin, CreatedMixin, Base):
    """A post its author features on their profile."""

    __tablename__ = "status_pins"
    __table_args__ = (Index("uq_status_pins_account_id_status_id", "account_id", "status_id", unique=True),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    status_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), nullable=False
    )


class ConversationMute(IdMixin, CreatedMixin, Base):
    """A thread (``Status.conversation_id``) whose notifications the account does not want."""

    __tablename__ = "conversation_mutes"
    __table_args__ = (
        Index(
            "uq_conversation_mutes_account_id_conversation_id", "account_id", "conversation_id", unique=True
        ),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    conversation_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
