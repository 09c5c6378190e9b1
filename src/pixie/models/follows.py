"""Who follows whom, and the follow requests that locked accounts decide on."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin


class Follow(IdMixin, CreatedMixin, Base):
    __tablename__ = "follows"
    __table_args__ = (
        Index("uq_follows_account_id_target_account_id", "account_id", "target_account_id", unique=True),
        Index("ix_follows_target_account_id_id", "target_account_id", "id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    show_reblogs: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class FollowRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "follow_requests"
    __table_args__ = (
        Index(
            "uq_follow_requests_account_id_target_account_id", "account_id", "target_account_id", unique=True
        ),
        Index("ix_follow_requests_target_account_id_id", "target_account_id", "id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    show_reblogs: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
