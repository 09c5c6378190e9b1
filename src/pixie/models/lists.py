"""Lists: named sets of followed accounts, each with its own timeline."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin

REPLIES_POLICIES = ("followed", "list", "none")


class List(IdMixin, CreatedMixin, Base):
    __tablename__ = "lists"
    __table_args__ = (Index("ix_lists_account_id_id", "account_id", "id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(256), nullable=False)
    replies_policy: Mapped[str] = mapped_column(String(16), nullable=False, default="list")
    exclusive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ListAccount(IdMixin, CreatedMixin, Base):
    __tablename__ = "list_accounts"
    __table_args__ = (
        Index("uq_list_accounts_list_id_account_id", "list_id", "account_id", unique=True),
        Index("ix_list_accounts_account_id", "account_id"),
    )

    list_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lists.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
