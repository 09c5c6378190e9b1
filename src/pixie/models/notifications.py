"""Notifications (what happened to an account) and read markers (how far it has read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime, utcnow


class Notification(IdMixin, CreatedMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_account_id_id", "account_id", "id"),
        Index("ix_notifications_account_id_group_key_id", "account_id", "group_key", "id"),
        Index("ix_notifications_from_account_id", "from_account_id"),
        Index("ix_notifications_status_id", "status_id"),
    )

    account_id: Mapped[int] = mapped_column(  # who is notified
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    from_account_id: Mapped[int] = mapped_column(  # whose action it is
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    status_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"))
    # Notifications with the same key are shown as one group by /api/v2/notifications;
    # "ungrouped-<id>" for the types that never group.
    group_key: Mapped[str] = mapped_column(String(128), nullable=False)
    # Held back by the recipient's notification policy: shown only through its request.
    filtered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())


POLICY_VALUES = ("accept", "filter", "drop")


class NotificationPolicy(Base):
    """What happens to notifications from accounts of each kind (Mastodon 4.3's policy)."""

    __tablename__ = "notification_policies"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    for_not_following: Mapped[str] = mapped_column(String(8), nullable=False, default="accept")
    for_not_followers: Mapped[str] = mapped_column(String(8), nullable=False, default="accept")
    for_new_accounts: Mapped[str] = mapped_column(String(8), nullable=False, default="accept")
    for_private_mentions: Mapped[str] = mapped_column(String(8), nullable=False, default="filter")
    for_limited_accounts: Mapped[str] = mapped_column(String(8), nullable=False, default="filter")


class NotificationRequest(IdMixin, CreatedMixin, Base):
    """The filtered notifications from one account, waiting for the recipient to accept or dismiss them."""

    __tablename__ = "notification_requests"
    __table_args__ = (
        Index(
            "uq_notification_requests_account_id_from_account_id",
            "account_id",
            "from_account_id",
            unique=True,
        ),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    last_status_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="SET NULL")
    )
    notifications_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class NotificationPermission(IdMixin, CreatedMixin, Base):
    """An account whose notifications the recipient accepted: no policy holds them back again."""

    __tablename__ = "notification_permissions"
    __table_args__ = (
        Index(
            "uq_notification_permissions_account_id_from_account_id",
            "account_id",
            "from_account_id",
            unique=True,
        ),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


class Marker(Base):
    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(16), primary_key=True)  # "home" or "notifications"
    last_read_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
