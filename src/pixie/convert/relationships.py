from __future__ import annotations

from typing import Any

from pixie.services.follows import Relationship


def relationship(r: Relationship) -> dict[str, Any]:
    return {
        "id": str(r.target_id),
        "following": r.following,
        "showing_reblogs": r.showing_reblogs,
        "notifying": r.notifying,
        "languages": None,
        "followed_by": r.followed_by,
        # Blocks and mutes arrive with the rest of the social graph.
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }
