"""The public, hashtag and account timelines (and the page machinery lists share).

Each timeline's statement is built once per shape (signed in or not, which options, how many
hashtags, which cursors) with every value a bound parameter, and kept: building one costs
SQLAlchemy more than running it, and a kept statement's SQL text stays prepared on PostgreSQL.
A page is then the statement and the reader's marks in one round trip (``page_state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, String, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pixie.db.prepared import Prepared
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.media import MediaAttachment
from pixie.models.reactions import StatusPin
from pixie.models.statuses import Status, StatusTag, Tag
from pixie.services import filters, page_state
from pixie.services.page_state import PageState
from pixie.services.paging import Paging, Shape, apply_shape
from pixie.services.status_views import StatusView, views_of
from pixie.services.text import fold_hashtag
from pixie.services.visibility import not_muted, visible_to

MAX_TIMELINE_PAGE = 40
MAX_TAGS_PER_MODE = 4  # any[], all[] and none[] each read this many names, as on Mastodon


@dataclass(frozen=True)
class TimelineQuery:
    """A timeline's statuses as a statement and the values of its bound parameters. ``kept``:
    the statement is built once and reused, so what is derived from it may be kept too."""

    select: Select[Any]
    params: dict[str, Any] = field(default_factory=dict)
    kept: bool = False


def has_media() -> Any:
    return exists(select(MediaAttachment.id).where(MediaAttachment.status_id == Status.id))


def has_tag(*names: str) -> Any:
    """The status carries one of these hashtags (any case)."""
    return _has_folded([fold_hashtag(n) for n in dict.fromkeys(names)])


def _has_folded(folded: Sequence[Any]) -> Any:
    """The status carries one of these folded hashtag names (values or bound parameters)."""
    return exists(
        select(StatusTag.status_id)
        .join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id == Status.id, or_(*(Tag.folded == name for name in folded)))
    )


def _names(prefix: str, count: int) -> list[Any]:
    return [bindparam(f"{prefix}{i}", type_=String) for i in range(count)]


def _viewer(anonymous: bool) -> Any:
    return None if anonymous else bindparam("viewer", type_=BigInteger)


def public_rule(viewer_id: Any, *, only_media: bool = False, tag: str | None = None) -> Any:
    """A SQL condition on Status: the posts of the public timeline (of one hashtag, if given) as
    ``viewer_id`` (None: anonymous; an id, a bound parameter or a column) sees it. Live public
    streams ask it too."""
    rule = and_(
        Status.visibility == "public",
        Status.reblog_of_id.is_(None),
        visible_to(viewer_id),
        not_muted(viewer_id),
    )
    if only_media:
        rule = and_(rule, has_media())
    if tag is not None:
        rule = and_(rule, has_tag(tag))
    return rule


@cache
def _public_select(anonymous: bool, only_media: bool, tags: tuple[int, int, int] | None) -> Select[Any]:
    query = select(Status).where(public_rule(_viewer(anonymous), only_media=only_media))
    if tags is not None:
        any_count, all_count, none_count = tags
        query = query.where(_has_folded(_names("any", any_count)))
        for name in _names("all", all_count):
            query = query.where(_has_folded([name]))
        if none_count:
            query = query.where(~_has_folded(_names("none", none_count)))
    return query


def public_query(
    viewer_id: int | None,
    *,
    tag: str | None = None,
    any_tags: Sequence[str] = (),
    all_tags: Sequence[str] = (),
    none_tags: Sequence[str] = (),
    only_media: bool = False,
) -> TimelineQuery:
    """Public posts (not unlisted ones, nor reblogs, as on Mastodon) of the whole instance, or of
    one hashtag. With a hashtag: ``any_tags`` are also taken, every one of ``all_tags`` must be
    there too, and none of ``none_tags`` may be; still one query per page."""
    params: dict[str, Any] = {}
    tags = None
    if tag is not None:
        groups = {
            "any": [tag, *any_tags[:MAX_TAGS_PER_MODE]],
            "all": list(all_tags[:MAX_TAGS_PER_MODE]),
            "none": list(none_tags[:MAX_TAGS_PER_MODE]),
        }
        for prefix, names in groups.items():
            folded = list(dict.fromkeys(fold_hashtag(n) for n in names))
            params.update({f"{prefix}{i}": name for i, name in enumerate(folded)})
            groups[prefix] = folded
        tags = (len(groups["any"]), len(groups["all"]), len(groups["none"]))
    return TimelineQuery(_public_select(viewer_id is None, only_media, tags), params, kept=True)


@cache
def _account_select(
    anonymous: bool,
    only_media: bool,
    pinned: bool,
    exclude_reblogs: bool,
    exclude_replies: bool,
    tagged: bool,
) -> Select[Any]:
    account = bindparam("account", type_=BigInteger)
    query = select(Status).where(Status.account_id == account, visible_to(_viewer(anonymous)))
    if only_media:
        query = query.where(has_media())
    if pinned:
        query = query.where(
            exists(
                select(StatusPin.id).where(StatusPin.status_id == Status.id, StatusPin.account_id == account)
            )
        )
    if exclude_reblogs:
        query = query.where(Status.reblog_of_id.is_(None))
    if exclude_replies:
        # Replies to oneself (threads) stay, as on Mastodon.
        query = query.where(or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account))
    if tagged:
        query = query.where(_has_folded([bindparam("tagged", type_=String)]))
    return query


_ACCOUNT_SHOWN = Prepared(
    select(Account.id).where(
        Account.id == bindparam("account", type_=BigInteger), Account.suspended_at.is_(None)
    )
)


async def account_query(
    connection: AsyncConnection,
    account_id: int,
    viewer_id: int | None,
    *,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> TimelineQuery:
    """An account's posts (and reblogs) that the viewer may see; with ``pinned``, only those it
    pinned (newest first, as on Mastodon). 404 for an account that is gone or suspended."""
    if not await _ACCOUNT_SHOWN.rows(connection, {"account": account_id}):
        raise NotFound()
    select_ = _account_select(
        viewer_id is None, only_media, pinned, exclude_reblogs, exclude_replies, bool(tagged)
    )
    params: dict[str, Any] = {"account": account_id}
    if tagged:
        params["tagged"] = fold_hashtag(tagged)
    return TimelineQuery(select_, params, kept=True)


# --- pages -----------------------------------------------------------------------------------------


def _state_statement(select_: Select[Any], shape: Shape, anonymous: bool) -> Prepared:
    page = apply_shape(select_, Status.id, shape)
    return Prepared(page_state.statement(page, _viewer(anonymous)))


_kept_state_statement = cache(_state_statement)


def _bound(query: TimelineQuery, paging: Paging, viewer_id: int | None) -> dict[str, Any]:
    bound = {**query.params, **paging.bound(most=MAX_TIMELINE_PAGE)}
    if viewer_id is not None:
        bound["viewer"] = viewer_id
    return bound


async def state_of(
    rt: Runtime,
    connection: AsyncConnection,
    query: TimelineQuery,
    paging: Paging,
    viewer_id: int | None,
    context: str,
) -> PageState:
    """A page of ``query`` for the viewer as a ``PageState``, through the viewer's filters of
    ``context`` (read on their own only for a viewer who keeps any)."""
    build = _kept_state_statement if query.kept else _state_statement
    prepared = build(query.select, paging.shape, viewer_id is None)
    state = page_state.read_rows(viewer_id, await prepared.rows(connection, _bound(query, paging, viewer_id)))
    if state.has_filters:
        async with rt.db.read() as session:
            await filters.screen_page(session, state, context)
    return state


async def timeline_page(
    rt: Runtime, query: TimelineQuery, paging: Paging, viewer_id: int | None, context: str
) -> list[StatusView]:
    """A page of ``query`` for the viewer as views (the web app's cards), through the viewer's
    filters of ``context``."""
    async with rt.db.read() as session:
        statement = apply_shape(query.select, Status.id, paging.shape)
        found = list(await session.scalars(statement, _bound(query, paging, viewer_id)))
        views = await views_of(session, paging.newest_first(found), viewer_id)
        return await filters.apply(session, viewer_id, context, views)


async def account_statuses(
    rt: Runtime, account_id: int, viewer_id: int | None, paging: Paging, **options: Any
) -> list[StatusView]:
    """An account's posts that the viewer may see, newest first (``account_query``'s options)."""
    async with rt.db.read_connection() as connection:
        query = await account_query(connection, account_id, viewer_id, **options)
    return await timeline_page(rt, query, paging, viewer_id, "account")


async def account_statuses_state(
    rt: Runtime, account_id: int, viewer_id: int | None, paging: Paging, **options: Any
) -> PageState:
    async with rt.db.read_connection() as connection:
        query = await account_query(connection, account_id, viewer_id, **options)
        return await state_of(rt, connection, query, paging, viewer_id, "account")


async def public_timeline(
    rt: Runtime, viewer_id: int | None, paging: Paging, **options: Any
) -> list[StatusView]:
    """The public timeline (``public_query``'s options), newest first."""
    return await timeline_page(rt, public_query(viewer_id, **options), paging, viewer_id, "public")


async def public_state(rt: Runtime, viewer_id: int | None, paging: Paging, **options: Any) -> PageState:
    async with rt.db.read_connection(generic_plans=True) as connection:
        return await state_of(rt, connection, public_query(viewer_id, **options), paging, viewer_id, "public")
