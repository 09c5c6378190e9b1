"""Generations: what a person asked an image generator for, the job that makes it, and prompts
the safety filter refused. Candidates are media attachments (origin ``candidate``) that point at
their generation; the one a person posted is the choice, the others were passed over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime

TEXT, IMAGE = "text", "image"  # text-to-image, or image-to-image from the remixed post's picture


class Generation(IdMixin, CreatedMixin, Base):
    __tablename__ = "generations"
    __table_args__ = (
        Index("ix_generations_account_id_id", "account_id", "id"),
        Index("uq_generations_account_id_idempotency_key", "account_id", "idempotency_key", unique=True),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    # The job that renders it (state, attempts, lease and progress live there).
    job_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("jobs.id", ondelete="SET NULL"))
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    negative_prompt: Mapped[str] = mapped_column(Text, nullable=False, default="")
    style: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16), nullable=False)
    seed: Mapped[int] = mapped_column(BigInteger, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    mode: Mapped[str] = mapped_column(String(8), nullable=False, default=TEXT)
    # The post this remixes (its prompt, or its image for image-to-image).
    remix_of_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # The preference signal: the candidate a person posted, and the post.
    chosen_media_id: Mapped[int | None] = mapped_column(BigInteger)
    status_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the provider said beyond the image (a revised prompt), per candidate.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class PromptRefusal(IdMixin, CreatedMixin, Base):
    """A prompt the safety filter refused, kept for moderators."""

    __tablename__ = "prompt_refusals"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    negative_prompt: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # "blocklist" or "moderation"
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    categories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
