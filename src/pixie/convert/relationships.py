from __future__ import annotations

from typing import Any

from pixie.convert.common import timestamp
from pixie.services.follows import Relationship


def relationship(r: Relationship) -> dict[str, Any]:
    return {
        "id": str(r.target_id),
        "following": r.following,
        "showing_reblogs": r.showing_reblogs,
        "notifying": r.notifying,
        "languages": None,
        "followed_by": r.followed_by,
        "blocking": r.blocking,
        "blocked_by": r.blocked_by,
        "muting": r.muting,
        "muting_notifications": r.muting_notifications,
        "muting_expires_at": timestamp(r.muting_expires_at),
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }
