"""ScheduledStatus entities."""

from __future__ import annotations

from typing import Any

from pixie.convert.common import timestamp
from pixie.models.scheduled import ScheduledStatus


def scheduled_status(row: ScheduledStatus) -> dict[str, Any]:
    p = row.params
    params: dict[str, Any] = {
        "text": p.get("text") or "",
        "poll": p.get("poll"),
        "media_ids": None,
        "sensitive": p.get("sensitive"),
        "spoiler_text": p.get("spoiler_text"),
        "visibility": p.get("visibility") or "public",
        "in_reply_to_id": p.get("in_reply_to_id"),  # an integer here, as Mastodon has it
        "language": p.get("language"),
        "scheduled_at": None,
        "idempotency": row.idempotency_key,
        "with_rate_limit": False,
    }
    if row.application_id is not None:
        params["application_id"] = row.application_id
    return {
        "id": str(row.id),
        "scheduled_at": timestamp(row.scheduled_at),
        "params": params,
        "media_attachments": [],
    }
