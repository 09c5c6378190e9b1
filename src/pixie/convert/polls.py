"""Poll entities."""

from __future__ import annotations

from typing import Any

from pixie.convert.common import timestamp
from pixie.services.polls import PollView


def poll(view: PollView) -> dict[str, Any]:
    p = view.poll
    entity: dict[str, Any] = {
        "id": str(p.id),
        "expires_at": timestamp(p.expires_at),
        "expired": view.expired,
        "multiple": p.multiple,
        "votes_count": view.votes_count,
        "voters_count": view.voters_count,
        "options": [
            {"title": title, "votes_count": view.tallies[i] if view.show_totals else None}
            for i, title in enumerate(p.options)
        ],
        "emojis": [],
    }
    if view.own_votes is not None:  # only for a signed-in viewer, as on Mastodon
        entity["voted"] = view.voted
        entity["own_votes"] = view.own_votes
    return entity
