"""A status's thread: its ancestors and descendants, as far as the reader may see them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, literal, or_, select

from pixie.db.prepared import Prepared
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.models.statuses import Status
from pixie.services import filters, page_state
from pixie.services.page_state import PageState, no_value, row_kind
from pixie.services.status_views import StatusView, views_by_id
from pixie.services.visibility import not_muted, visible_to

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 4096


@dataclass(frozen=True)
class Thread:
    ancestors: list[StatusView]  # oldest first
    descendants: list[StatusView]  # in reading order: depth-first, oldest reply first


async def context(rt: Runtime, status_id: int, viewer_id: int | None) -> Thread:
    """The posts above and below one in its thread, as far as the viewer may see them (the web
    app's thread), through the viewer's filters."""
    thread = await context_state(rt, status_id, viewer_id)
    async with rt.db.read() as session:
        views = await views_by_id(session, [*thread.ancestors, *thread.descendants], viewer_id)

    def screened(ids: list[int]) -> list[StatusView]:
        return [replace(views[i], filtered=thread.state.filtered.get(i, [])) for i in ids if i in views]

    return Thread(screened(thread.ancestors), screened(thread.descendants))


# --- the API's context as a ``PageState``: the thread and the reader's marks in one statement -----


@dataclass(frozen=True)
class ThreadState:
    state: PageState  # every post of the thread the reader gets, with their marks
    ancestors: list[int]  # oldest first
    descendants: list[int]  # in reading order


def _context_statement(anonymous: bool) -> Prepared:
    """The focal status (when the viewer may see it), its ancestors and the replies below it as
    far as the viewer may see them, and the viewer's marks on them. The replies are walked
    through visible ones only: a reply to a post the viewer may not see is not shown either."""
    viewer: Any = None if anonymous else bindparam("viewer", type_=BigInteger)
    focal = bindparam("focal", type_=BigInteger)
    seen = and_(visible_to(viewer), not_muted(viewer))
    up = (
        select(Status.id, Status.in_reply_to_id.label("parent"), literal(0).label("depth"))
        .where(Status.id == focal)
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(Status.id, Status.in_reply_to_id, up.c.depth + 1)
        .join(up, Status.id == up.c.parent)
        .where(up.c.depth < MAX_ANCESTORS)
    )
    down = (
        select(Status.id, Status.in_reply_to_id.label("parent"))
        .where(Status.in_reply_to_id == focal, seen)
        .cte("down", recursive=True)
    )
    down = down.union_all(
        select(Status.id, Status.in_reply_to_id).join(down, Status.in_reply_to_id == down.c.id).where(seen)
    )
    replies = select(down.c.id, down.c.parent).order_by(down.c.id).limit(MAX_DESCENDANTS).cte("replies")
    ancestors = (
        select(up.c.id, up.c.depth)
        .join(Status, Status.id == up.c.id)
        .where(up.c.depth > 0, seen)
        .cte("ancestors")
    )
    page = select(Status).where(
        or_(Status.id.in_(select(ancestors.c.id)), Status.id.in_(select(replies.c.id)))
    )
    return Prepared(
        page_state.statement(
            page,
            viewer,
            [
                select(row_kind("focal"), Status.id, *[no_value()] * 4).where(
                    Status.id == focal, visible_to(viewer)
                ),
                select(row_kind("ancestor"), ancestors.c.id, ancestors.c.depth, *[no_value()] * 3),
                select(row_kind("reply"), replies.c.id, replies.c.parent, *[no_value()] * 3),
            ],
        )
    )


_kept_context_statement = cache(_context_statement)


async def context_state(rt: Runtime, status_id: int, viewer_id: int | None) -> ThreadState:
    """``context`` for the API, as the ids of each part over one ``PageState``; 404 when the
    viewer may not see the status."""
    bound: dict[str, Any] = {"focal": status_id}
    if viewer_id is not None:
        bound["viewer"] = viewer_id
    async with rt.db.read_connection(generic_plans=True) as connection:
        rows = await _kept_context_statement(viewer_id is None).rows(connection, bound)
    state = page_state.read_rows(viewer_id, rows)
    if not any(kind == "focal" for kind, _, _ in state.extra):
        raise NotFound()
    if state.has_filters:
        async with rt.db.read() as session:
            await filters.screen_page(session, state, "thread")
    kept = set(state.ids)
    children: dict[int, list[int]] = {}
    for kind, post_id, parent in state.extra:
        if kind == "reply":
            children.setdefault(parent, []).append(post_id)
    ordered: list[int] = []
    # Depth first, oldest reply first. A reply a filter hides leaves the thread; its own replies
    # stay (as in ``context``).
    stack = sorted(children.get(status_id, []), reverse=True)
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack += sorted(children.get(node, []), reverse=True)
    above = sorted(((depth, i) for kind, i, depth in state.extra if kind == "ancestor"), reverse=True)
    ancestors = [i for _, i in above]
    return ThreadState(
        state,
        [i for i in ancestors if i in kept],
        [i for i in ordered if i in kept],
    )
