"""Search: accounts by name, hashtags by name, and statuses by their words.

Statuses are found through the full-text index (``infra/search.py``), which this module keeps
current from the ``status.created`` and ``status.deleted`` events. Whatever the index holds, a
result is always checked against the statuses table in the same query, so a post deleted a
moment ago, or one the viewer may not see, is never found.

Who may find a status (close to Mastodon 4.2+): a signed-in viewer finds the public posts of
authors who opted in to search (``indexable``), and any post it may see that it wrote, was
mentioned in, favourited or bookmarked. Anonymous callers search accounts and hashtags only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.infra.outbox import Delivery
from pixie.infra.runtime import Runtime
from pixie.infra.search import parse_query
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.media import MediaAttachment
from pixie.models.reactions import Bookmark, Favourite
from pixie.models.statuses import Mention, Status
from pixie.services import events, tags
from pixie.services.status_views import StatusView, views_of
from pixie.services.tags import TagView, escape_like
from pixie.services.visibility import not_muted, visible_to

MAX_RESULTS = 40
TYPES = ("accounts", "hashtags", "statuses")
# Anonymous callers get only an exact account match for shorter queries, as on Mastodon.
MIN_ANONYMOUS_PREFIX = 3


# --- the index ---------------------------------------------------------------------------------


def document(status: Status, descriptions: list[str]) -> str:
    """What a status is found by: its content warning, its text and its image descriptions."""
    return "\n".join([status.spoiler_text, status.text, *descriptions])


async def index_status(rt: Runtime, delivery: Delivery) -> None:
    """Puts a new or edited status into the index, or takes a deleted one out; safe to run again."""
    event = delivery.event
    assert isinstance(event, events.StatusCreated | events.StatusUpdated | events.StatusDeleted)
    async with rt.db.write() as session:
        status = await session.get(Status, event.status_id)
        if status is None or status.deleted_at is not None:
            await rt.search.remove(session, event.status_id)
            return
        descriptions = list(
            await session.scalars(
                select(MediaAttachment.description)
                .where(MediaAttachment.status_id == status.id)
                .order_by(MediaAttachment.position)
            )
        )
        await rt.search.put(session, status.id, document(status, descriptions))


def install(rt: Runtime) -> None:
    rt.handlers.add(
        "search.statuses",
        [events.StatusCreated, events.StatusUpdated, events.StatusDeleted],
        lambda d: index_status(rt, d),
    )


# --- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    q: str
    type: str | None = None  # accounts, hashtags or statuses; None: all three
    limit: int = 20
    offset: int = 0
    following: bool = False  # accounts: only those the viewer follows
    account_id: int | None = None  # statuses: only this account's
    max_id: int | None = None  # statuses: older than this
    min_id: int | None = None  # statuses: newer than this


@dataclass(frozen=True)
class SearchResults:
    accounts: list[Account] = field(default_factory=list)
    statuses: list[StatusView] = field(default_factory=list)
    hashtags: list[TagView] = field(default_factory=list)


async def search(rt: Runtime, viewer_id: int | None, request: SearchRequest) -> SearchResults:
    """Mastodon's /api/v2/search. Without a ``type``, a query is read as Mastodon reads it:
    '#cats' looks for hashtags (and accounts), 'name@domain' for accounts, words for all three;
    ``offset`` applies only to a search of one type."""
    q = request.q.strip()
    limit = min(max(request.limit, 0), MAX_RESULTS)
    if not q or limit == 0 or (request.type is not None and request.type not in TYPES):
        return SearchResults()
    offset = request.offset if request.type is not None else 0
    has_at = "@" in q
    has_space = any(c.isspace() for c in q)
    wants = {
        "accounts": not q.startswith("#") and not (has_at and has_space),
        "hashtags": not has_at,
        "statuses": not ((q.startswith("#") or has_at) and not has_space),
    }
    if request.type is not None:
        wants = {kind: kind == request.type for kind in TYPES}
    accounts: list[Account] = []
    hashtags: list[TagView] = []
    statuses: list[StatusView] = []
    async with rt.db.read() as session:
        if wants["accounts"]:
            accounts = await _accounts(rt, session, q, viewer_id, request.following, limit, offset)
        if wants["hashtags"]:
            hashtags = await tags.search(session, q, viewer_id, limit=limit, offset=offset)
        if wants["statuses"] and viewer_id is not None:
            statuses = await _statuses(rt, session, q, viewer_id, request, limit, offset)
    return SearchResults(accounts, statuses, hashtags)


async def _accounts(
    rt: Runtime,
    session: AsyncSession,
    q: str,
    viewer_id: int | None,
    following: bool,
    limit: int,
    offset: int,
) -> list[Account]:
    """Accounts whose username or display name (or a word of it) starts with the query; 'name',
    '@name' and 'name@this.domain' all look for 'name'. Suspended accounts are never found."""
    name, _, domain = q.removeprefix("@").partition("@")
    if domain and domain.lower() != rt.settings.domain.lower():
        return []  # other servers' accounts: Pixie does not federate
    name = name.strip().lower()
    if not name:
        return []
    username = func.lower(Account.username)
    display_name = func.lower(Account.display_name)
    prefix = escape_like(name) + "%"
    exact = username == name
    matching = (
        exact
        if viewer_id is None and len(name) < MIN_ANONYMOUS_PREFIX
        else or_(
            username.like(prefix, escape="\\"),
            display_name.like(prefix, escape="\\"),
            display_name.like("% " + prefix, escape="\\"),
        )
    )
    query = select(Account).where(matching, Account.suspended_at.is_(None))
    order: list[Any] = [case((exact, 0), else_=1)]
    if viewer_id is not None:
        followed = exists(
            select(Follow.id).where(Follow.account_id == viewer_id, Follow.target_account_id == Account.id)
        )
        if following:
            query = query.where(followed)
        else:
            order.append(case((followed, 0), else_=1))
    by_username = case((username.like(prefix, escape="\\"), 0), else_=1)
    order += [by_username, Account.followers_count.desc(), username]
    return list(await session.scalars(query.order_by(*order).offset(offset).limit(limit)))


def searchable_by(viewer_id: int) -> Any:
    """A SQL condition on Status: the posts ``viewer_id`` may find by their words (on top of
    ``visible_to``): public posts of authors who opted in, and the viewer's own, the ones it is
    mentioned in and the ones it favourited or bookmarked."""
    indexable_author = exists(
        select(Account.id).where(Account.id == Status.account_id, Account.indexable.is_(True))
    )
    mentioned = select(Mention.status_id).where(
        Mention.status_id == Status.id, Mention.account_id == viewer_id
    )
    favourited = select(Favourite.id).where(
        Favourite.status_id == Status.id, Favourite.account_id == viewer_id
    )
    bookmarked = select(Bookmark.id).where(Bookmark.status_id == Status.id, Bookmark.account_id == viewer_id)
    return or_(
        and_(Status.visibility == "public", indexable_author),
        Status.account_id == viewer_id,
        exists(mentioned),
        exists(favourited),
        exists(bookmarked),
    )


async def _statuses(
    rt: Runtime,
    session: AsyncSession,
    q: str,
    viewer_id: int,
    request: SearchRequest,
    limit: int,
    offset: int,
) -> list[StatusView]:
    """Matching statuses, the best match first, then the newest."""
    parsed = parse_query(q)
    if parsed is None:
        return []
    matches = rt.search.matches(parsed)
    query = (
        select(Status)
        .join(matches, matches.c.status_id == Status.id)
        .where(visible_to(viewer_id), not_muted(viewer_id), searchable_by(viewer_id))
    )
    if request.account_id is not None:
        query = query.where(Status.account_id == request.account_id)
    if request.max_id is not None:
        query = query.where(Status.id < request.max_id)
    if request.min_id is not None:
        query = query.where(Status.id > request.min_id)
    query = query.order_by(matches.c.rank, Status.id.desc()).offset(offset).limit(limit)
    return await views_of(session, list(await session.scalars(query)), viewer_id)
