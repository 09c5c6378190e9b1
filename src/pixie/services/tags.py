"""Hashtags: what each one looks like (its use over the last week), following them, finding them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, case, delete, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.ids import id_at
from pixie.errors import NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.statuses import Status, StatusTag, Tag
from pixie.models.tag_follows import FollowedTag
from pixie.services import events, text
from pixie.services.paging import Paging
from pixie.services.visibility import visible_to

HISTORY_DAYS = 7
MAX_FOLLOWED_PAGE = 200
# A status id is unix_ms << 16: dividing by this gives its UTC day (days since 1970-01-01).
_ID_PER_DAY = (1 << 16) * 86_400_000


@dataclass(frozen=True)
class TagDay:
    day: datetime  # midnight UTC
    uses: int  # posts that carried the tag that day
    accounts: int  # accounts that wrote them


@dataclass(frozen=True)
class TagView:
    """A hashtag as the viewer sees it. ``id`` is None for a valid name that nobody has used yet."""

    id: int | None
    name: str
    history: list[TagDay]  # today first, HISTORY_DAYS days
    following: bool | None  # None for an anonymous viewer


def normalize(name: str) -> str:
    """A hashtag as a client sends it ('#Cats' or 'Cats') -> 'Cats'; 404 for what cannot be one."""
    name = name.strip().removeprefix("#")
    if not text.is_hashtag_name(name):
        raise NotFound()
    return name


async def find(session: AsyncSession, name: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.folded == text.fold_hashtag(name)))


async def followed_tag_ids(session: AsyncSession, account_id: int) -> list[int]:
    """The ids of the tags an account follows, oldest follow first."""
    return list(
        await session.scalars(
            select(FollowedTag.tag_id).where(FollowedTag.account_id == account_id).order_by(FollowedTag.id)
        )
    )


async def views(
    session: AsyncSession, tags: list[Tag], viewer_id: int | None, *, now: datetime | None = None
) -> list[TagView]:
    """Tags with their last week of use and the viewer's follow, in two queries for any number."""
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS)]
    ids = [t.id for t in tags]
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    if ids:
        # Posts anyone may see (public and unlisted, not deleted, by active accounts), by day.
        day = (Status.id // literal_column(str(_ID_PER_DAY), BigInteger)).label("day")
        rows = await session.execute(
            select(
                StatusTag.tag_id,
                day,
                func.count(Status.id),
                func.count(func.distinct(Status.account_id)),
            )
            .join(Status, Status.id == StatusTag.status_id)
            .where(StatusTag.tag_id.in_(ids), Status.id >= id_at(days[-1]), visible_to(None))
            .group_by(StatusTag.tag_id, day)
        )
        for tag_id, day_number, uses, accounts in rows:
            counts[(tag_id, int(day_number))] = (uses, accounts)
    following: set[int] = set()
    if viewer_id is not None and ids:
        following = set(
            await session.scalars(
                select(FollowedTag.tag_id).where(
                    FollowedTag.account_id == viewer_id, FollowedTag.tag_id.in_(ids)
                )
            )
        )

    def history(tag_id: int | None) -> list[TagDay]:
        found = []
        for d in days:
            uses, accounts = counts.get((tag_id or 0, int(d.timestamp()) // 86_400), (0, 0))
            found.append(TagDay(d, uses, accounts))
        return found

    return [
        TagView(t.id, t.name, history(t.id), (t.id in following) if viewer_id is not None else None)
        for t in tags
    ]


async def get(rt: Runtime, name: str, viewer_id: int | None) -> TagView:
    """A hashtag by name; one never used answers with an empty week, as Mastodon's does."""
    name = normalize(name)
    async with rt.db.read() as session:
        tag = await find(session, name)
        if tag is None:
            return TagView(None, name, _empty_week(), False if viewer_id is not None else None)
        return (await views(session, [tag], viewer_id))[0]


def _empty_week() -> list[TagDay]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [TagDay(today - timedelta(days=n), 0, 0) for n in range(HISTORY_DAYS)]


async def follow(rt: Runtime, account_id: int, name: str, *, on: bool = True) -> TagView:
    """Follows a hashtag (making it if nobody used it yet), or stops; both idempotent."""
    name = normalize(name)
    try:
        await _follow(rt, account_id, name, on)
    except IntegrityError:
        # The same tag made, or the same follow added, by a request at the same moment: the
        # second try finds what the first one made.
        await _follow(rt, account_id, name, on)
    return await get(rt, name, account_id)


async def _follow(rt: Runtime, account_id: int, name: str, on: bool) -> None:
    async with rt.write() as session:
        tag = await find(session, name)
        if tag is None:
            if not on:
                return
            tag = Tag(name=name, folded=text.fold_hashtag(name))
            session.add(tag)
            await session.flush()
        existing = await session.scalar(
            select(FollowedTag.id).where(FollowedTag.account_id == account_id, FollowedTag.tag_id == tag.id)
        )
        if on and existing is None:
            session.add(FollowedTag(account_id=account_id, tag_id=tag.id))
            await session.flush()
            record(session, events.TagFollowed(account_id=account_id, tag_id=tag.id))
        elif not on and existing is not None:
            await session.execute(delete(FollowedTag).where(FollowedTag.id == existing))
            record(session, events.TagUnfollowed(account_id=account_id, tag_id=tag.id))


@dataclass(frozen=True)
class FollowedPage:
    tags: list[TagView]
    cursors: list[int]  # the follows' ids, for paging


async def followed(rt: Runtime, account_id: int, paging: Paging) -> FollowedPage:
    """The hashtags an account follows, the most recently followed first."""
    query = (
        select(FollowedTag.id, Tag)
        .join(Tag, Tag.id == FollowedTag.tag_id)
        .where(FollowedTag.account_id == account_id)
    )
    async with rt.db.read() as session:
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, FollowedTag.id, most=MAX_FOLLOWED_PAGE))).all())
        )
        found = await views(session, [row[1] for row in rows], account_id)
    return FollowedPage(found, [row[0] for row in rows])


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession, query: str, viewer_id: int | None, *, limit: int, offset: int
) -> list[TagView]:
    """Hashtags whose name starts with ``query`` ('#' left out): an exact match first, then the
    shortest names."""
    name = text.fold_hashtag(query.strip().removeprefix("#"))
    if not name or limit < 1:
        return []
    tags = list(
        await session.scalars(
            select(Tag)
            .where(Tag.folded.like(escape_like(name) + "%", escape="\\"))
            .order_by(case((Tag.folded == name, 0), else_=1), func.length(Tag.name), Tag.folded)
            .offset(offset)
            .limit(limit)
        )
    )
    return await views(session, tags, viewer_id)
