"""A page of statuses as one viewer gets it, without the statuses themselves: which posts, in
which order, who wrote them, what they reblog, and the viewer's own marks on them, all in one SQL
statement. The posts' renderings come from the render cache (``convert.status_pages``); this is
what is added to them per viewer, so the page is a constant number of round trips whatever its
size and whoever reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    String,
    case,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.models.filters import Filter
from pixie.models.polls import Poll
from pixie.models.reactions import Bookmark, ConversationMute, Favourite, StatusPin
from pixie.models.statuses import Status
from pixie.services.filter_rules import FilterMatch

MARKS = ("favourited", "bookmarked", "reblogged", "pinned", "muted")


@dataclass(frozen=True)
class Post:
    """A status on a page (or the original a reblog on it shows)."""

    id: int
    account_id: int
    reblog_of_id: int | None
    conversation_id: int  # its thread's (the status itself when it starts one)
    has_poll: bool


@dataclass
class PageState:
    viewer_id: int | None
    posts: list[Post]  # newest first
    originals: dict[int, Post]  # the reblogged originals, by id
    # Status ids the viewer favourited, bookmarked, reblogged and pinned; muted: conversation ids.
    marks: dict[str, set[int]] = field(default_factory=lambda: {name: set() for name in MARKS})
    has_filters: bool = False  # the viewer keeps filters: the page must be screened with them
    filtered: dict[int, list[FilterMatch]] = field(default_factory=dict)  # the matches, by post
    extra: list[tuple[str, Any, Any]] = field(default_factory=list)  # (kind, a, b) of ``extra`` rows

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.posts]

    def shown(self, post: Post) -> Post:
        """The post whose content (and marks) a page entry shows: the original of a reblog."""
        if post.reblog_of_id is not None:
            return self.originals.get(post.reblog_of_id, post)
        return post


def row_kind(name: str) -> Any:
    return literal(name, String)


def no_value() -> Any:
    return null().cast(BigInteger)


def statement(page: Select[Any], viewer: Any, extra: Sequence[Select[Any]] = ()) -> CompoundSelect[Any]:
    """The one statement behind a ``PageState``: ``page`` selects the page's statuses (filtered,
    ordered and limited); ``viewer`` is the reader's id (a bound parameter; NULL when anonymous).
    Every row is (kind, a, b, c, d, e): a post or original (id, author, reblog of, conversation,
    has a poll), a mark (kind, status or conversation id) or the viewer's having filters.
    ``extra`` adds rows of the caller's own kinds in the same shape (``read_rows`` keeps them in
    ``PageState.extra``)."""
    rows = page.with_only_columns(
        Status.id, Status.account_id, Status.reblog_of_id, Status.conversation_id
    ).cte("page_rows")
    originals = (
        select(Status.id, Status.account_id, Status.reblog_of_id, Status.conversation_id)
        .where(Status.id.in_(select(rows.c.reblog_of_id).where(rows.c.reblog_of_id.is_not(None))))
        .cte("page_originals")
    )
    shown_ids = union_all(select(rows.c.id), select(originals.c.id)).subquery("shown_ids")
    threads = union_all(
        select(func.coalesce(rows.c.conversation_id, rows.c.id).label("thread")),
        select(func.coalesce(originals.c.conversation_id, originals.c.id).label("thread")),
    ).subquery("threads")

    def posts(name: str, table: Any) -> Select[Any]:
        has_poll = exists(select(Poll.id).where(Poll.status_id == table.c.id))
        return select(
            row_kind(name),
            table.c.id,
            table.c.account_id,
            table.c.reblog_of_id,
            func.coalesce(table.c.conversation_id, table.c.id),
            case((has_poll, 1), else_=0),
        )

    def marked(name: str, column: Any, owner: Any, among: Any) -> Select[Any]:
        return select(row_kind(name), column, no_value(), no_value(), no_value(), no_value()).where(
            owner == viewer, column.in_(select(among))
        )

    return union_all(
        posts("post", rows),
        posts("original", originals),
        marked("favourited", Favourite.status_id, Favourite.account_id, shown_ids.c.id),
        marked("bookmarked", Bookmark.status_id, Bookmark.account_id, shown_ids.c.id),
        marked("pinned", StatusPin.status_id, StatusPin.account_id, shown_ids.c.id),
        marked("reblogged", Status.reblog_of_id, Status.account_id, shown_ids.c.id),
        marked("muted", ConversationMute.conversation_id, ConversationMute.account_id, threads.c.thread),
        select(row_kind("filters"), no_value(), no_value(), no_value(), no_value(), no_value()).where(
            exists(select(Filter.id).where(Filter.account_id == viewer))
        ),
        *extra,
    )


def read_rows(viewer_id: int | None, rows: Any) -> PageState:
    state = PageState(viewer_id, [], {})
    for kind, a, b, c, d, e in rows:
        if kind == "post":
            state.posts.append(Post(a, b, c, d, bool(e)))
        elif kind == "original":
            state.originals[a] = Post(a, b, c, d, bool(e))
        elif kind == "filters":
            state.has_filters = True
        elif kind not in state.marks:
            state.extra.append((kind, a, b))
        else:
            state.marks[kind].add(a)
    state.posts.sort(key=lambda p: p.id, reverse=True)
    return state


async def read(
    session: AsyncSession, prepared: Callable[[], CompoundSelect[Any]], params: dict[str, Any]
) -> PageState:
    """Runs a statement made by ``statement`` (built once, by ``prepared``) with ``params``,
    which name the viewer as ``viewer``."""
    return read_rows(params.get("viewer"), await session.execute(prepared(), params))
