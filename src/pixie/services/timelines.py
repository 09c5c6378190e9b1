"""The home timeline: posts of the accounts and hashtags one follows, and one's own.

Which posts belong is one SQL rule, ``home_rule``. On embedded defaults the timeline is that rule
as a query. With Redis, each reader has a bounded feed filled by fan-out on write; a page is read
from the feed and then passed through the same rule, so the feed only decides where to look: it
may hold posts that no longer belong (an unfollow, a new mute, a deletion) and they are dropped,
and a feed that was never built, expired, or was dropped after a change of follows is rebuilt from
the rule at the next read. Paging past the oldest post a full feed holds reads the database. The
pages are the same either way (a test compares them).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pixie.db.idlist import joined, one_of_param, split_ids
from pixie.db.prepared import Prepared
from pixie.infra.outbox import Delivery
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.lists import List, ListAccount
from pixie.models.statuses import Status, StatusTag
from pixie.models.tag_follows import FollowedTag
from pixie.services import events, filters, page_state
from pixie.services.page_state import PageState
from pixie.services.paging import Paging
from pixie.services.status_views import StatusView, views_of
from pixie.services.visibility import not_muted, visible_to

log = logging.getLogger("pixie.timelines")

MAX_PAGE = 40
# Feed entries read beyond a page's size per round, for those the home rule now drops.
_SPARE = 20


def home_rule(viewer_id: int) -> Any:
    """A SQL condition on Status: the posts of ``viewer_id``'s home timeline."""
    followed = select(Follow.target_account_id).where(Follow.account_id == viewer_id)
    reblogs_wanted = select(Follow.target_account_id).where(
        Follow.account_id == viewer_id, Follow.show_reblogs.is_(True)
    )
    in_exclusive_lists = (
        select(ListAccount.account_id)
        .join(List, List.id == ListAccount.list_id)
        .where(List.account_id == viewer_id, List.exclusive.is_(True))
    )
    by_followed = and_(
        or_(Status.account_id == viewer_id, Status.account_id.in_(followed)),
        # Replies show when they answer oneself, the author, or someone one follows (Mastodon's rule).
        or_(
            Status.in_reply_to_account_id.is_(None),
            Status.in_reply_to_account_id == Status.account_id,
            Status.in_reply_to_account_id == viewer_id,
            Status.account_id == viewer_id,
            Status.in_reply_to_account_id.in_(followed),
        ),
        or_(
            Status.reblog_of_id.is_(None),
            Status.account_id == viewer_id,
            Status.account_id.in_(reblogs_wanted),
        ),
        # Members of an exclusive list are read in that list only.
        ~Status.account_id.in_(in_exclusive_lists),
    )
    followed_tags = select(FollowedTag.tag_id).where(FollowedTag.account_id == viewer_id)
    by_tag = and_(
        Status.visibility == "public",
        Status.reblog_of_id.is_(None),
        exists(
            select(StatusTag.status_id).where(
                StatusTag.status_id == Status.id, StatusTag.tag_id.in_(followed_tags)
            )
        ),
    )
    return and_(or_(by_followed, by_tag), visible_to(viewer_id), not_muted(viewer_id))


@cache
def _home_statuses() -> Select[Status]:
    """The rule as a statement built once: building it costs far more than running it, so the
    viewer is a bound parameter (``viewer``) rather than a new expression per request."""
    return select(Status).where(home_rule(bindparam("viewer", type_=BigInteger)))  # type: ignore[arg-type]


@cache
def _home_ids() -> Select[int]:
    return select(Status.id).where(home_rule(bindparam("viewer", type_=BigInteger)))  # type: ignore[arg-type]


async def _query_page(session: AsyncSession, viewer_id: int, paging: Paging) -> list[Status]:
    query = paging.apply(_home_statuses(), Status.id, most=MAX_PAGE)
    return paging.newest_first(list(await session.scalars(query, {"viewer": viewer_id})))


async def home_from_database(rt: Runtime, viewer_id: int, paging: Paging) -> list[StatusView]:
    """The home timeline as one query (the embedded way, and the reference for the feed)."""
    async with rt.db.read() as session:
        views = await views_of(session, await _query_page(session, viewer_id, paging), viewer_id)
        return await filters.apply(session, viewer_id, "home", views)


async def _rebuild(rt: Runtime, session: AsyncSession, viewer_id: int) -> None:
    newest_first = _home_ids().order_by(Status.id.desc())
    bound = {"viewer": viewer_id}
    # The followed authors whose posts the feed pulls; one that should be pulled and is not
    # yet (it passed the threshold since its last post) is made so now.
    pulled = await rt.feeds.pulled()
    most = rt.settings.fan_out_pull_followers
    large = list(
        await session.scalars(_followed_large(), {"viewer": viewer_id, "most": most, "pulled": list(pulled)})
    )
    for author_id in large:
        if author_id not in pulled:
            await _start_pulling(rt, author_id)
    ids = list(await session.scalars(newest_first.limit(rt.settings.home_feed_size), bound))
    await rt.feeds.fill(viewer_id, ids, large)
    # A post fanned out while the feed was being built found no feed to go into: catch up.
    later = list(await session.scalars(newest_first.where(Status.id > (ids[0] if ids else 0)), bound))
    if later:
        await rt.feeds.add(viewer_id, later)


@cache
def _home_statuses_among() -> Select[Status]:
    return _home_statuses().where(one_of_param(Status.id, "ids"))


async def _belonging(session: AsyncSession, viewer_id: int, ids: list[int]) -> dict[int, Status]:
    """Those of ``ids`` that the home rule keeps, loaded."""
    if not ids:
        return {}
    found = await session.scalars(_home_statuses_among(), {"viewer": viewer_id, "ids": ids})
    return {s.id: s for s in found}


async def _page_from_feed(
    rt: Runtime, session: AsyncSession, viewer_id: int, paging: Paging, limit: int
) -> list[Status] | None:
    """The page's statuses, newest first, read through the feed; None when the feed cannot
    answer and the database must."""
    ascending = paging.min_id is not None
    low = paging.min_id if ascending else paging.since_id
    high = paging.max_id
    chosen: list[Status] = []  # in reading order
    rebuilt = False
    round_size = limit + _SPARE
    while True:
        window = await rt.feeds.window(
            viewer_id,
            max_id=high,
            since_id=None if ascending else low,
            min_id=low if ascending else None,
            count=round_size,
        )
        if window is None:
            if rebuilt:
                return None  # the feed vanished meanwhile (expired or dropped): use the database
            await _rebuild(rt, session, viewer_id)
            rebuilt = True
            continue
        # Reading upwards from a point older than a full feed reaches: only the database knows.
        if ascending and window.full and (window.oldest is None or (low or 0) < window.oldest):
            return None
        candidates = window.ids[::-1] if ascending else window.ids
        keep = await _belonging(session, viewer_id, candidates)
        chosen += [keep[i] for i in candidates if i in keep][: limit - len(chosen)]
        if len(chosen) == limit:
            break
        if len(window.ids) < round_size:
            if window.full and not ascending:
                # Past the oldest post a full feed holds: the rest of the page is in the database.
                rest = Paging(
                    max_id=candidates[-1] if candidates else high, since_id=low, limit=limit - len(chosen)
                )
                chosen += await _query_page(session, viewer_id, rest)
            break
        if ascending:
            low = candidates[-1]
        else:
            high = candidates[-1]
    return chosen[::-1] if ascending else chosen


async def home(rt: Runtime, viewer_id: int, paging: Paging) -> list[StatusView]:
    """The home timeline, newest first, paged as Mastodon pages."""
    if not rt.feeds.kept:
        return await home_from_database(rt, viewer_id, paging)
    limit = min(max(paging.limit, 1), MAX_PAGE)
    async with rt.db.read() as session:
        page = await _page_from_feed(rt, session, viewer_id, paging, limit)
        if page is None:
            page = await _query_page(session, viewer_id, paging)
        return await filters.apply(session, viewer_id, "home", await views_of(session, page, viewer_id))


# --- pages as ``PageState``: the posts' ids and the reader's marks in one statement ---------------


@cache
def _home_state_among(ascending: bool) -> Prepared:
    """The page among feed candidates (``ids``) that the home rule keeps, at most ``limit``."""
    order = Status.id.asc() if ascending else Status.id.desc()
    page = (
        select(Status)
        .where(one_of_param(Status.id, "ids"), home_rule(bindparam("viewer", type_=BigInteger)))  # type: ignore[arg-type]
        .order_by(order)
        .limit(bindparam("limit", type_=Integer))
    )
    return Prepared(page_state.statement(page, bindparam("viewer", type_=BigInteger)))


async def _state_among(
    db: AsyncSession | AsyncConnection, viewer_id: int, ids: list[int], limit: int, *, ascending: bool
) -> PageState:
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    bound = {"viewer": viewer_id, "ids": ids, "limit": limit}
    return page_state.read_rows(viewer_id, await _home_state_among(ascending).rows(connection, bound))


async def _state_from_feed(rt: Runtime, viewer_id: int, paging: Paging, limit: int) -> PageState | None:
    """The common page: one feed read and one statement on a bare connection. None when the
    feed cannot answer alone (missing, short of a page, paging past what it holds) or the
    viewer keeps filters."""
    ascending = paging.min_id is not None
    window = await rt.feeds.window(
        viewer_id,
        max_id=paging.max_id,
        since_id=None if ascending else paging.since_id,
        min_id=paging.min_id,
        count=limit + _SPARE,
    )
    if window is None:
        return None
    if ascending and window.full and (window.oldest is None or (paging.min_id or 0) < window.oldest):
        return None
    async with rt.db.read_connection() as connection:
        state = await _state_among(connection, viewer_id, window.ids, limit, ascending=ascending)
    # Short of a page while the feed or the database may hold more: read on below.
    complete = len(state.posts) == limit or (
        len(window.ids) < limit + _SPARE and (ascending or not window.full)
    )
    return state if complete and not state.has_filters else None


async def home_state(rt: Runtime, viewer_id: int, paging: Paging) -> PageState:
    """The home timeline's page (see ``home``) as a ``PageState``."""
    limit = min(max(paging.limit, 1), MAX_PAGE)
    if rt.feeds.kept and (state := await _state_from_feed(rt, viewer_id, paging, limit)) is not None:
        return state
    async with rt.db.read() as session:
        found = await _page_from_feed(rt, session, viewer_id, paging, limit) if rt.feeds.kept else None
        if found is None:
            found = await _query_page(session, viewer_id, paging)
        ids = [s.id for s in found]
        state = await _state_among(session, viewer_id, ids, limit, ascending=paging.min_id is not None)
        await filters.screen_page(session, state, "home")
        return state


# --- fan-out on write (Redis) ---------------------------------------------------------------------


@cache
def _followers_of_authors() -> Select[int, str | None]:
    """Each author's followers as one joined string (``authors`` is given at execution)."""
    return (
        select(Follow.target_account_id, joined(Follow.account_id))
        .where(one_of_param(Follow.target_account_id, "authors"))
        .group_by(Follow.target_account_id)
    )


@cache
def _followers_of_tags() -> Select[int, str | None]:
    """For each post (``posts``), the followers of its hashtags as one joined string."""
    return (
        select(StatusTag.status_id, joined(FollowedTag.account_id))
        .join(FollowedTag, FollowedTag.tag_id == StatusTag.tag_id)
        .where(one_of_param(StatusTag.status_id, "posts"))
        .group_by(StatusTag.status_id)
    )


def _large() -> Any:
    """An account whose followers pull its posts: more followers than ``most``, or pulled
    already (``pulled``; once pulled, always pulled, so no feed made meanwhile misses posts)."""
    return or_(
        Account.followers_count > bindparam("most", type_=BigInteger), one_of_param(Account.id, "pulled")
    )


@cache
def _authors_over() -> Select[int]:
    """Those of ``authors`` whose followers pull their posts."""
    return select(Account.id).where(one_of_param(Account.id, "authors"), _large())


@cache
def _followed_large() -> Select[int]:
    """The accounts ``viewer`` follows whose followers pull their posts."""
    return (
        select(Account.id)
        .join(Follow, Follow.target_account_id == Account.id)
        .where(Follow.account_id == bindparam("viewer", type_=BigInteger), _large())
    )


_PULLING: set[int] = set()  # authors this process is making pulled right now


async def _start_pulling(rt: Runtime, author_id: int) -> None:
    """From now on the author's followers' feeds read its posts from its own list: the list is
    filled with its recent posts, and the followers' existing feeds pull it. Done once at a time
    per process (many followers' feeds may be rebuilt at the same moment and each find it)."""
    if author_id in _PULLING:
        return
    _PULLING.add(author_id)
    try:
        await _make_pulled(rt, author_id)
    finally:
        _PULLING.discard(author_id)


async def _make_pulled(rt: Runtime, author_id: int) -> None:
    async with rt.db.read() as session:
        recent = list(
            await session.scalars(
                select(Status.id)
                .where(Status.account_id == author_id, Status.deleted_at.is_(None))
                .order_by(Status.id.desc())
                .limit(rt.settings.home_feed_size)
            )
        )
        rows = list(await session.execute(_followers_of_authors(), {"authors": [author_id]}))
    log.info("pulling an author's posts at read time", extra={"account_id": author_id})
    await rt.feeds.pull(author_id, recent, split_ids(rows[0][1]) if rows else [])


async def fan_out(rt: Runtime, deliveries: list[Delivery]) -> None:
    """Puts new posts (or reblogs) into the feeds of those who may want them: the author, the
    author's followers and, for public posts, the followers of its hashtags. Reading filters by
    the home rule, so a wider net costs only feed space. A burst of posts is one query for all
    their audiences and, per audience, one feed write for all its posts.

    An author with more followers than ``fan_out_pull_followers`` is pulled instead: its posts
    go into its own list, which its followers' feeds merge at each read, so a post reaches a
    hundred thousand followers with one write rather than a hundred thousand."""
    posts: list[events.StatusCreated | events.StatusReblogged] = []
    for delivery in deliveries:
        assert isinstance(delivery.event, events.StatusCreated | events.StatusReblogged)
        posts.append(delivery.event)
    authors = list({p.account_id for p in posts})
    public = [p.status_id for p in posts if isinstance(p, events.StatusCreated) and p.visibility == "public"]
    async with rt.db.read() as session:
        most = rt.settings.fan_out_pull_followers
        pulled = list(await rt.feeds.pulled())
        large = set(
            await session.scalars(_authors_over(), {"authors": authors, "most": most, "pulled": pulled})
        )
        pushed = [a for a in authors if a not in large]
        followers = (
            {a: j for a, j in await session.execute(_followers_of_authors(), {"authors": pushed})}
            if pushed
            else {}
        )
        by_tags = (
            {s: j for s, j in await session.execute(_followers_of_tags(), {"posts": public})}
            if public
            else {}
        )
    for author_id in large:
        own = [p.status_id for p in posts if p.account_id == author_id]
        if not await rt.feeds.add_authored(author_id, own):
            await _start_pulling(rt, author_id)  # its list holds these posts too
    audiences: dict[tuple[int, str | None], list[int]] = {}
    for post in posts:
        audiences.setdefault((post.account_id, by_tags.get(post.status_id)), []).append(post.status_id)
    for (author_id, tag_followers), status_ids in audiences.items():
        recipients = {author_id, *split_ids(followers.get(author_id)), *split_ids(tag_followers)}
        await rt.feeds.push(recipients, status_ids)


async def forget_feeds(rt: Runtime, delivery: Delivery) -> None:
    """A change of who one follows or filters: the feed is rebuilt from the rule at the next read."""
    event: Any = delivery.event
    owners = {event.account_id}
    if isinstance(event, events.BlockCreated):
        owners.add(event.target_account_id)
    await rt.feeds.drop(owners)


def install(rt: Runtime) -> None:
    if not rt.feeds.kept:
        return  # embedded defaults: the home timeline is a query; nothing to keep up to date
    rt.handlers.add_batch(
        "timelines.fan_out", [events.StatusCreated, events.StatusReblogged], lambda d: fan_out(rt, d)
    )
    rt.handlers.add(
        "timelines.forget_feeds",
        [
            events.FollowCreated,
            events.FollowRemoved,
            events.BlockCreated,
            events.BlockRemoved,
            events.MuteCreated,
            events.MuteRemoved,
            events.TagFollowed,
            events.TagUnfollowed,
            events.ListMembersChanged,
            events.ListDeleted,
        ],
        lambda d: forget_feeds(rt, d),
    )
