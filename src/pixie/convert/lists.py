"""List entities."""

from __future__ import annotations

from typing import Any

from pixie.models.lists import List


def list_entity(found: List) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "title": found.title,
        "replies_policy": found.replies_policy,
        "exclusive": found.exclusive,
    }
