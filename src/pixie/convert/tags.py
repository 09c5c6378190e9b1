"""Tag entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.services.tags import TagView


def tag(settings: Settings, view: TagView) -> dict[str, Any]:
    entity: dict[str, Any] = {
        # Empty for a name nobody has used yet, as Mastodon renders an unsaved tag.
        "id": str(view.id) if view.id is not None else "",
        "name": view.name,
        "url": settings.url(f"/tags/{view.name.lower()}"),
        "history": [
            {"day": str(int(d.day.timestamp())), "uses": str(d.uses), "accounts": str(d.accounts)}
            for d in view.history
        ],
    }
    if view.following is not None:
        entity["following"] = view.following
    return entity
