"""Posting, reading and deleting statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import DomainEvent, record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.media import MediaAttachment
from pixie.models.reactions import Bookmark, Favourite
from pixie.models.statuses import VISIBILITIES, Mention, Status, StatusTag, Tag
from pixie.services import events, media, text
from pixie.services.paging import Paging
from pixie.services.visibility import visible_to

MAX_SPOILER = 500
MAX_IDEMPOTENCY_KEY = 128


@dataclass(frozen=True)
class NewStatus:
    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class StatusView:
    """A status with what rendering it needs, loaded in a constant number of queries."""

    status: Status
    account: Account
    mentions: list[Account]
    tags: list[Tag]
    # The viewer's own state (False for an anonymous viewer).
    favourited: bool = False
    bookmarked: bool = False
    media: list[MediaAttachment] = field(default_factory=list)


async def _views(
    session: AsyncSession, statuses: list[Status], viewer_id: int | None = None
) -> list[StatusView]:
    """Everything a page of statuses renders with, in a constant number of queries."""
    if not statuses:
        return []
    ids = [s.id for s in statuses]
    favourited: set[int] = set()
    bookmarked: set[int] = set()
    if viewer_id is not None:
        favourited = set(
            await session.scalars(
                select(Favourite.status_id).where(
                    Favourite.account_id == viewer_id, Favourite.status_id.in_(ids)
                )
            )
        )
        bookmarked = set(
            await session.scalars(
                select(Bookmark.status_id).where(
                    Bookmark.account_id == viewer_id, Bookmark.status_id.in_(ids)
                )
            )
        )
    authors = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(Account.id.in_({s.account_id for s in statuses}))
        )
    }
    mentioned: dict[int, list[Account]] = {}
    for status_id, account in await session.execute(
        select(Mention.status_id, Account)
        .join(Account, Account.id == Mention.account_id)
        .where(Mention.status_id.in_(ids))
    ):
        mentioned.setdefault(status_id, []).append(account)
    attachments = await media.of_statuses(session, ids)
    tagged: dict[int, list[Tag]] = {}
    for status_id, tag in await session.execute(
        select(StatusTag.status_id, Tag)
        .join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id.in_(ids))
    ):
        tagged.setdefault(status_id, []).append(tag)
    return [
        StatusView(
            s,
            authors[s.account_id],
            mentioned.get(s.id, []),
            tagged.get(s.id, []),
            favourited=s.id in favourited,
            bookmarked=s.id in bookmarked,
            media=attachments.get(s.id, []),
        )
        for s in statuses
    ]


async def views_of(
    session: AsyncSession, statuses: list[Status], viewer_id: int | None = None
) -> list[StatusView]:
    """What a list of statuses renders with, for services that select statuses themselves."""
    return await _views(session, statuses, viewer_id)


async def _tags(session: AsyncSession, names: list[str]) -> list[Tag]:
    found = []
    for name in names:
        tag = await session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
        if tag is None:
            # Another post may create the same tag at the same moment: the unique index on the
            # lowered name then fails this insert, and create() tries the whole post again.
            tag = Tag(name=name)
            session.add(tag)
            await session.flush()
        found.append(tag)
    return found


async def _by_idempotency_key(rt: Runtime, account_id: int, key: str) -> StatusView | None:
    async with rt.db.read() as session:
        earlier = await session.scalar(
            select(Status).where(Status.account_id == account_id, Status.idempotency_key == key)
        )
        return (await _views(session, [earlier]))[0] if earlier is not None else None


async def create(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    *,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> StatusView:
    settings = rt.settings
    if len(set(new.media_ids)) > settings.max_media_attachments:
        raise Invalid(f"Validation failed: A post may have at most {settings.max_media_attachments} images")
    if not new.text.strip() and not new.media_ids:
        raise Invalid("Validation failed: Text can't be blank")
    if text.length(new.text, new.spoiler_text) > settings.max_characters:
        raise Invalid(f"Validation failed: Text character limit of {settings.max_characters} exceeded")
    if len(new.spoiler_text) > MAX_SPOILER:
        raise Invalid("Validation failed: Content warning is too long")
    if new.visibility is not None and new.visibility not in VISIBILITIES:
        raise Invalid("Validation failed: Visibility must be public, unlisted, private or direct")
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Invalid("The Idempotency-Key header is too long")
    # The same request sent again (a retry after a lost answer) gets the same post.
    if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
        return earlier
    parsed = text.parse(new.text)
    try:
        return await _insert(rt, account_id, new, parsed, application_id, idempotency_key)
    except IntegrityError:
        # A twin request with the same Idempotency-Key won the race, or another post created one
        # of the same new hashtags at the same moment: the second try finds what the first made.
        if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
            return earlier
        return await _insert(rt, account_id, new, parsed, application_id, idempotency_key)


async def _insert(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    parsed: text.Parsed,
    application_id: int | None,
    idempotency_key: str | None,
) -> StatusView:
    settings = rt.settings
    async with rt.write() as session:
        user = await session.scalar(select(User).where(User.account_id == account_id))
        reply_to = None
        if new.in_reply_to_id is not None:
            reply_to = await session.scalar(
                select(Status).where(Status.id == new.in_reply_to_id, visible_to(account_id))
            )
            if reply_to is None:
                raise NotFound("The post you reply to was not found")
        local = [
            name
            for name, domain in parsed.mentions
            if domain is None or domain.lower() == settings.domain.lower()
        ]
        mentioned = (
            list(
                await session.scalars(
                    select(Account).where(
                        func.lower(Account.username).in_([n.lower() for n in local]),
                        Account.suspended_at.is_(None),
                    )
                )
            )
            if local
            else []
        )
        by_name = {a.username.lower(): a for a in mentioned}
        status = Status(
            account_id=account_id,
            text=new.text,
            content=text.render(
                new.text,
                mention_url=lambda name: (
                    settings.url(f"/@{by_name[name.lower()].username}") if name.lower() in by_name else None
                ),
                tag_url=lambda name: settings.url(f"/tags/{name.lower()}"),
            ),
            spoiler_text=new.spoiler_text,
            sensitive=bool(new.sensitive)
            if new.sensitive is not None
            else bool(user and user.default_sensitive) or bool(new.spoiler_text),
            visibility=new.visibility or (user.default_visibility if user else "public"),
            language=new.language or (user.default_language if user else None),
            in_reply_to_id=reply_to.id if reply_to else None,
            in_reply_to_account_id=reply_to.account_id if reply_to else None,
            application_id=application_id,
            idempotency_key=idempotency_key or None,
        )
        session.add(status)
        await session.flush()
        await media.attach(session, rt, account_id, new.media_ids, status.id)
        for account in mentioned:
            session.add(Mention(status_id=status.id, account_id=account.id))
        tags = await _tags(session, parsed.hashtags)
        for tag in tags:
            session.add(StatusTag(status_id=status.id, tag_id=tag.id))
        now = utcnow()
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(statuses_count=Account.statuses_count + 1, last_status_at=now)
        )
        if reply_to is not None:
            await session.execute(
                update(Status).where(Status.id == reply_to.id).values(replies_count=Status.replies_count + 1)
            )
        record(
            session,
            events.StatusCreated(status_id=status.id, account_id=account_id, visibility=status.visibility),
        )
        await session.flush()
        return (await _views(session, [status]))[0]


async def get(rt: Runtime, status_id: int, viewer_id: int | None) -> StatusView:
    """A status the viewer may see; 404 otherwise, whether it exists or not."""
    async with rt.db.read() as session:
        status = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
        if status is None:
            raise NotFound()
        return (await _views(session, [status], viewer_id))[0]


async def delete(rt: Runtime, status_id: int, account_id: int) -> StatusView:
    """Deletes the author's own post, keeping a tombstone; answers it with its source (for redraft)."""
    async with rt.write() as session:
        status = await session.scalar(
            select(Status).where(
                Status.id == status_id, Status.account_id == account_id, Status.deleted_at.is_(None)
            )
        )
        if status is None:
            raise NotFound()
        view = (await _views(session, [status]))[0]
        status.deleted_at = utcnow()
        await media.detach_from(session, status.id)
        await session.execute(
            update(Account)
            .where(Account.id == account_id, Account.statuses_count > 0)
            .values(statuses_count=Account.statuses_count - 1)
        )
        if status.in_reply_to_id is not None:
            await session.execute(
                update(Status)
                .where(Status.id == status.in_reply_to_id, Status.replies_count > 0)
                .values(replies_count=Status.replies_count - 1)
            )
        record(session, events.StatusDeleted(status_id=status.id, account_id=account_id))
    return view


MAX_TIMELINE_PAGE = 40


async def _timeline(
    rt: Runtime, query: Select[Status], paging: Paging, viewer_id: int | None
) -> list[StatusView]:
    async with rt.db.read() as session:
        found = list(await session.scalars(paging.apply(query, Status.id, most=MAX_TIMELINE_PAGE)))
        return await _views(session, paging.newest_first(found), viewer_id)


async def account_statuses(
    rt: Runtime,
    account_id: int,
    viewer_id: int | None,
    paging: Paging,
    *,
    exclude_replies: bool = False,
    only_media: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> list[StatusView]:
    """An account's posts that the viewer may see, newest first."""
    async with rt.db.read() as session:
        account = await session.get(Account, account_id)
        if account is None or account.suspended_at is not None:
            raise NotFound()
    if pinned:
        return []  # pins arrive later in the social core; none exist yet
    query = select(Status).where(Status.account_id == account_id, visible_to(viewer_id))
    if only_media:
        query = query.where(_has_media())
    if exclude_replies:
        # Replies to oneself (threads) stay, as on Mastodon.
        query = query.where(or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account_id))
    if tagged:
        query = query.where(_has_tag(tagged))
    return await _timeline(rt, query, paging, viewer_id)


def _has_media() -> Any:
    return exists(select(MediaAttachment.id).where(MediaAttachment.status_id == Status.id))


def _has_tag(*names: str) -> Any:
    """The status carries one of these hashtags (any case)."""
    return exists(
        select(StatusTag.status_id)
        .join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id == Status.id, func.lower(Tag.name).in_({n.lower() for n in names}))
    )


MAX_TAGS_PER_MODE = 4  # any[], all[] and none[] each read this many names, as on Mastodon


async def public_timeline(
    rt: Runtime,
    viewer_id: int | None,
    paging: Paging,
    *,
    tag: str | None = None,
    any_tags: Sequence[str] = (),
    all_tags: Sequence[str] = (),
    none_tags: Sequence[str] = (),
    only_media: bool = False,
) -> list[StatusView]:
    """Public posts (not unlisted ones) of the whole instance, or of one hashtag, newest first.
    With a hashtag: ``any_tags`` are also taken, every one of ``all_tags`` must be there too, and
    none of ``none_tags`` may be; still one query per page."""
    query = select(Status).where(Status.visibility == "public", visible_to(viewer_id))
    if only_media:
        query = query.where(_has_media())
    if tag is not None:
        query = query.where(_has_tag(tag, *any_tags[:MAX_TAGS_PER_MODE]))
        for name in all_tags[:MAX_TAGS_PER_MODE]:
            query = query.where(_has_tag(name))
        if none_tags:
            query = query.where(~_has_tag(*none_tags[:MAX_TAGS_PER_MODE]))
    return await _timeline(rt, query, paging, viewer_id)


# --- favourites and bookmarks --------------------------------------------------------------------


async def _react(
    rt: Runtime, model: type[Favourite] | type[Bookmark], account_id: int, status_id: int, on: bool
) -> StatusView:
    """Favourites (or bookmarks) a status the account may see, or takes that back; idempotent."""
    try:
        async with rt.write() as session:
            status = await session.scalar(
                select(Status).where(Status.id == status_id, visible_to(account_id))
            )
            if status is None:
                raise NotFound()
            existing = await session.scalar(
                select(model.id).where(model.account_id == account_id, model.status_id == status_id)
            )
            changed = False
            if on and existing is None:
                session.add(model(account_id=account_id, status_id=status_id))
                await session.flush()
                changed = True
            elif not on and existing is not None:
                await session.execute(delete_rows(model).where(model.id == existing))
                changed = True
            if changed and model is Favourite:
                counter = update(Status).where(Status.id == status_id)
                if not on:
                    counter = counter.where(Status.favourites_count > 0)
                await session.execute(
                    counter.values(favourites_count=Status.favourites_count + (1 if on else -1))
                )
                event: DomainEvent = (
                    events.FavouriteCreated(
                        account_id=account_id, status_id=status_id, author_id=status.account_id
                    )
                    if on
                    else events.FavouriteRemoved(account_id=account_id, status_id=status_id)
                )
                record(session, event)
    except IntegrityError:
        pass  # the same request twice at once: the first one stands
    return await get(rt, status_id, account_id)


async def favourite(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    return await _react(rt, Favourite, account_id, status_id, on)


async def bookmark(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    return await _react(rt, Bookmark, account_id, status_id, on)


@dataclass(frozen=True)
class ReactionPage:
    views: list[StatusView]
    cursors: list[int]  # the favourite (or bookmark) ids, for paging


async def favourites(rt: Runtime, account_id: int, paging: Paging) -> ReactionPage:
    return await _reacted(rt, Favourite, account_id, paging)


async def bookmarks(rt: Runtime, account_id: int, paging: Paging) -> ReactionPage:
    return await _reacted(rt, Bookmark, account_id, paging)


async def _reacted(
    rt: Runtime, model: type[Favourite] | type[Bookmark], account_id: int, paging: Paging
) -> ReactionPage:
    """The account's own favourites (or bookmarks) that it may still see, newest first."""
    query = (
        select(model.id, Status)
        .join(Status, Status.id == model.status_id)
        .where(model.account_id == account_id, visible_to(account_id))
    )
    async with rt.db.read() as session:
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, model.id, most=MAX_TIMELINE_PAGE))).all())
        )
        views = await _views(session, [row[1] for row in rows], account_id)
    return ReactionPage(views, [row[0] for row in rows])


async def favourited_by(
    rt: Runtime, status_id: int, viewer_id: int | None, paging: Paging
) -> tuple[list[Account], list[int]]:
    """Who favourited a status the viewer may see."""
    await get(rt, status_id, viewer_id)
    query = (
        select(Favourite.id, Account)
        .join(Account, Account.id == Favourite.account_id)
        .where(Favourite.status_id == status_id, Account.suspended_at.is_(None))
    )
    async with rt.db.read() as session:
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, Favourite.id, most=80))).all())
        )
    return [row[1] for row in rows], [row[0] for row in rows]


# --- threads and batches -------------------------------------------------------------------------

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 4096
MAX_BATCH = 20


@dataclass(frozen=True)
class Thread:
    ancestors: list[StatusView]  # oldest first
    descendants: list[StatusView]  # in reading order: depth-first, oldest reply first


async def context(rt: Runtime, status_id: int, viewer_id: int | None) -> Thread:
    """The posts above and below one in its thread, as far as the viewer may see them."""
    await get(rt, status_id, viewer_id)
    async with rt.db.read() as session:
        chain: list[int] = []
        parent = await session.scalar(select(Status.in_reply_to_id).where(Status.id == status_id))
        while parent is not None and len(chain) < MAX_ANCESTORS and parent not in chain:
            chain.append(parent)
            parent = await session.scalar(select(Status.in_reply_to_id).where(Status.id == parent))
        ancestors = {
            s.id: s
            for s in await session.scalars(select(Status).where(Status.id.in_(chain), visible_to(viewer_id)))
        }
        # Replies level by level, one query per level.
        children: dict[int, list[Status]] = {}
        level = [status_id]
        found = 0
        while level and found < MAX_DESCENDANTS:
            replies = list(
                await session.scalars(
                    select(Status)
                    .where(Status.in_reply_to_id.in_(level), visible_to(viewer_id))
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
        views = await _views(session, up + ordered, viewer_id)
    return Thread(views[: len(up)], views[len(up) :])


async def many(rt: Runtime, ids: list[int], viewer_id: int | None) -> list[StatusView]:
    """Several statuses at once, in the order asked, leaving out those the viewer may not see."""
    async with rt.db.read() as session:
        found = {
            s.id: s
            for s in await session.scalars(
                select(Status).where(Status.id.in_(ids[:MAX_BATCH]), visible_to(viewer_id))
            )
        }
        return await _views(
            session, [found[i] for i in dict.fromkeys(ids[:MAX_BATCH]) if i in found], viewer_id
        )
