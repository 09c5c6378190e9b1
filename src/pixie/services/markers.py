"""Read markers (Mastodon's ``/api/v1/markers``): how far one has read the home timeline and the
notifications, kept per account so that every client resumes where another left off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from pixie.db.types import utcnow
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.models.notifications import Marker

TIMELINES = ("home", "notifications")


@dataclass(frozen=True)
class MarkerView:
    timeline: str
    last_read_id: int
    version: int
    updated_at: datetime


async def markers(rt: Runtime, account_id: int, timelines: list[str]) -> list[MarkerView]:
    wanted = [t for t in TIMELINES if t in timelines]
    if not wanted:
        return []
    async with rt.db.read() as session:
        found = await session.scalars(
            select(Marker).where(Marker.account_id == account_id, Marker.timeline.in_(wanted))
        )
        return [MarkerView(m.timeline, m.last_read_id, m.version, m.updated_at) for m in found]


async def save_markers(rt: Runtime, account_id: int, positions: dict[str, int]) -> list[MarkerView]:
    """Moves the read markers of the given timelines (home, notifications)."""
    unknown = [t for t in positions if t not in TIMELINES]
    if unknown:
        raise Invalid(f"Validation failed: Timeline is not one of {', '.join(TIMELINES)}")
    async with rt.write() as session:
        for timeline, last_read_id in positions.items():
            marker = await session.get(Marker, (account_id, timeline))
            if marker is None:
                session.add(
                    Marker(account_id=account_id, timeline=timeline, last_read_id=last_read_id, version=0)
                )
            else:
                marker.last_read_id = last_read_id
                marker.version += 1
                marker.updated_at = utcnow()
    return await markers(rt, account_id, list(positions))
