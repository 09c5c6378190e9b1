"""Media attachments: an uploaded image, its derived renditions, and the post it belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime

PROCESSING, READY, FAILED = "processing", "ready", "failed"
# Where an attachment came from; only plain uploads are removed when no post uses them
# (generation candidates keep their own retention).
UPLOAD, CANDIDATE = "upload", "candidate"
# Provenance labels (pixie.generation.providers.ProvenanceLabel); "sketch" comes only from generation.
AI_GENERATED, NO_LABEL = "ai_generated", "none"


class MediaAttachment(IdMixin, CreatedMixin, Base):
    __tablename__ = "media_attachments"
    __table_args__ = (
        Index("ix_media_attachments_status_id_position", "status_id", "position"),
        Index("ix_media_attachments_account_id_id", "account_id", "id"),
        # The clean-up of unattached uploads reads by age.
        Index("ix_media_attachments_unattached", "origin", "status_id", "created_at"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    status_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("statuses.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    origin: Mapped[str] = mapped_column(String(16), default=UPLOAD, nullable=False)
    type: Mapped[str] = mapped_column(String(16), default="image", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=READY, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    focus_x: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    focus_y: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    blurhash: Mapped[str | None] = mapped_column(String(64))
    # Relative storage keys only; URLs are made when rendering (design.md).
    key_prefix: Mapped[str] = mapped_column(String(64), nullable=False)
    original_key: Mapped[str | None] = mapped_column(String(255))
    # The raw upload while it waits for background processing; removed once processed.
    pending_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    animated: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # {"large": {"key", "width", "height", "content_type"}, "preview": {...}, "thumbnail": {...}}
    renditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the API calls the image's origin: "ai_generated", "sketch" or "none"; and the summary of
    # the C2PA manifest its stored original carries (None without one).
    provenance_label: Mapped[str] = mapped_column(
        String(16), default=NO_LABEL, server_default=NO_LABEL, nullable=False
    )
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A generation candidate: its generation and seed (no foreign key, as on statuses).
    generation_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    seed: Mapped[int | None] = mapped_column(BigInteger)

    def stored_keys(self) -> list[str]:
        """Every stored file of this attachment."""
        keys = [k for k in (self.original_key, self.pending_key) if k]
        keys += [r["key"] for r in self.renditions.values()]
        return keys
