"""The remix tree of a post: the posts it remixes, and those that remix it, as a viewer may see them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.models.statuses import Status
from pixie.services.paging import Paging
from pixie.services.status_views import StatusView, views_of
from pixie.services.visibility import not_muted, visible_to

MAX_PAGE = 40
# A chain of remixes longer than this is cut (each link is a query).
MAX_ANCESTORS = 100


@dataclass(frozen=True)
class Lineage:
    ancestors: list[StatusView]  # oldest first
    descendants: list[StatusView]  # one page, newest first


async def lineage(rt: Runtime, status_id: int, viewer_id: int | None, paging: Paging) -> Lineage:
    """Ancestors (the chain of posts remixed, oldest first) and a page of descendants (every post
    remixing this one or one of its remixes), each only if the viewer may see it."""
    async with rt.db.read() as session:
        root = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
        if root is None:
            raise NotFound()
        chain: list[Status] = []
        parent_id = root.remix_of_id
        while parent_id is not None and len(chain) < MAX_ANCESTORS:
            parent = await session.get(Status, parent_id)
            if parent is None:
                break
            chain.append(parent)
            parent_id = parent.remix_of_id
        shown = set(
            await session.scalars(
                select(Status.id).where(Status.id.in_([s.id for s in chain]), visible_to(viewer_id))
            )
        )
        ancestors = [s for s in reversed(chain) if s.id in shown]
        tree = select(Status.id).where(Status.remix_of_id == root.id).cte("remix_tree", recursive=True)
        tree = tree.union_all(select(Status.id).where(Status.remix_of_id == tree.c.id))
        query = select(Status).where(
            Status.id.in_(select(tree.c.id)), visible_to(viewer_id), not_muted(viewer_id)
        )
        found = list(await session.scalars(paging.apply(query, Status.id, most=MAX_PAGE)))
        return Lineage(
            ancestors=await views_of(session, ancestors, viewer_id),
            descendants=await views_of(session, paging.newest_first(found), viewer_id),
        )
