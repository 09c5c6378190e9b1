"""A status's thread: its ancestors and descendants, as far as the reader may see them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    select,
)

from pixie.infra.runtime import Runtime
from pixie.models.statuses import Status
from pixie.services import filters, statuses
from pixie.services.status_views import (
    StatusView,
    views_of,
)
from pixie.services.visibility import not_muted, visible_to

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 4096


@dataclass(frozen=True)
class Thread:
    ancestors: list[StatusView]  # oldest first
    descendants: list[StatusView]  # in reading order: depth-first, oldest reply first


async def context(rt: Runtime, status_id: int, viewer_id: int | None) -> Thread:
    """The posts above and below one in its thread, as far as the viewer may see them."""
    await statuses.get(rt, status_id, viewer_id)
    async with rt.db.read() as session:
        chain: list[int] = []
        parent = await session.scalar(select(Status.in_reply_to_id).where(Status.id == status_id))
        while parent is not None and len(chain) < MAX_ANCESTORS and parent not in chain:
            chain.append(parent)
            parent = await session.scalar(select(Status.in_reply_to_id).where(Status.id == parent))
        ancestors = {
            s.id: s
            for s in await session.scalars(
                select(Status).where(Status.id.in_(chain), visible_to(viewer_id), not_muted(viewer_id))
            )
        }
        # Replies level by level, one query per level.
        children: dict[int, list[Status]] = {}
        level = [status_id]
        found = 0
        while level and found < MAX_DESCENDANTS:
            replies = list(
                await session.scalars(
                    select(Status)
                    .where(Status.in_reply_to_id.in_(level), visible_to(viewer_id), not_muted(viewer_id))
                    .order_by(Status.id)
                    .limit(MAX_DESCENDANTS - found)
                )
            )
            for reply in replies:
                children.setdefault(reply.in_reply_to_id or 0, []).append(reply)
            found += len(replies)
            level = [r.id for r in replies]
        ordered: list[Status] = []

        def walk(node: int) -> None:
            for child in children.get(node, []):
                ordered.append(child)
                walk(child.id)

        walk(status_id)
        up = [ancestors[i] for i in reversed(chain) if i in ancestors]
        views = await views_of(session, up + ordered, viewer_id)
        return Thread(
            await filters.apply(session, viewer_id, "thread", views[: len(up)]),
            await filters.apply(session, viewer_id, "thread", views[len(up) :]),
        )
