"""Posting, reading, editing and deleting statuses; reblogs, pins and muted conversations."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import delete as delete_rows
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import Settings
from pixie.db.idlist import one_of
from pixie.db.ids import new_id
from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid, NotFound
from pixie.infra.outbox import DomainEvent, record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.follows import Follow
from pixie.models.generations import Generation
from pixie.models.media import MediaAttachment
from pixie.models.polls import Poll
from pixie.models.reactions import Bookmark, ConversationMute, Favourite, StatusPin
from pixie.models.statuses import VISIBILITIES, Mention, Status, StatusEdit, StatusTag, Tag
from pixie.services import events, generations, media, notifications, polls, text
from pixie.services.paging import Paging
from pixie.services.visibility import blocked_between, not_muted, visible_to

MAX_SPOILER = 500
MAX_IDEMPOTENCY_KEY = 128
MAX_PINNED_STATUSES = 5
REBLOG_VISIBILITIES = ("public", "unlisted", "private")


@dataclass(frozen=True)
class NewStatus:
    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: polls.NewPoll | None = None
    # For a post made from a generation: hide its prompt from others (None: the account's default),
    # and allow or forbid remixes (None: the account's default, read when someone remixes).
    hide_prompt: bool | None = None
    allow_remix: bool | None = None


@dataclass(frozen=True)
class StatusView:
    """A status with what rendering it needs, loaded in a constant number of queries."""

    status: Status
    account: Account
    mentions: list[Account]
    tags: list[Tag]
    # The viewer's own state (False for an anonymous viewer). A reblog carries the viewer's
    # state of its original.
    favourited: bool = False
    bookmarked: bool = False
    reblogged: bool = False
    muted: bool = False
    pinned: bool = False
    poll: polls.PollView | None = None
    reblog: StatusView | None = None  # the original, when this status is a reblog
    media: list[MediaAttachment] = field(default_factory=list)
    # A rendering of this status the caller made earlier and still holds valid (see ``Reuse``);
    # mentions, tags and media are then not loaded.
    rendered: object | None = None
    # What the post was generated from, and whether the viewer may read its prompt (the author
    # always may; others unless the author hid it).
    generation: Generation | None = None
    show_prompt: bool = True


# Given a status and its author, a rendering the caller kept from an earlier request that is still
# up to date, or None. Timelines pass one so that unchanged posts skip most of their loading.
Reuse = Callable[[Status, Account], object | None]


_VIEWER_STATES = ("favourited", "bookmarked", "reblogged", "pinned", "muted")


async def _marks(
    session: AsyncSession, viewer_ids: Collection[int], ids: Collection[int], conversations: Collection[int]
) -> dict[int, dict[str, set[int]]]:
    """The viewers' own marks on some posts (which they favourited, bookmarked, reblogged and
    pinned, which conversations they muted) in one round trip, by viewer."""
    state: dict[int, dict[str, set[int]]] = {v: {name: set() for name in _VIEWER_STATES} for v in viewer_ids}
    if not viewer_ids:
        return state
    marks: CompoundSelect[Any] = union_all(
        select(literal("favourited"), Favourite.account_id, Favourite.status_id).where(
            one_of(Favourite.account_id, viewer_ids), one_of(Favourite.status_id, ids)
        ),
        select(literal("bookmarked"), Bookmark.account_id, Bookmark.status_id).where(
            one_of(Bookmark.account_id, viewer_ids), one_of(Bookmark.status_id, ids)
        ),
        select(literal("reblogged"), Status.account_id, Status.reblog_of_id).where(
            one_of(Status.account_id, viewer_ids), one_of(Status.reblog_of_id, ids)
        ),
        select(literal("pinned"), StatusPin.account_id, StatusPin.status_id).where(
            one_of(StatusPin.account_id, viewer_ids), one_of(StatusPin.status_id, ids)
        ),
        select(literal("muted"), ConversationMute.account_id, ConversationMute.conversation_id).where(
            one_of(ConversationMute.account_id, viewer_ids),
            one_of(ConversationMute.conversation_id, conversations),
        ),
    )
    for name, viewer, marked in await session.execute(marks):
        if marked is not None:
            state[viewer][name].add(marked)
    return state


async def _viewer_state(
    session: AsyncSession, viewer_id: int | None, ids: list[int], conversations: set[int]
) -> dict[str, set[int]]:
    """The viewer's own marks on a page, in one round trip."""
    if viewer_id is None:
        return {name: set() for name in _VIEWER_STATES}
    return (await _marks(session, [viewer_id], ids, conversations))[viewer_id]


async def view_keys(
    session: AsyncSession, status: Status, viewer_ids: Collection[int]
) -> dict[int, tuple[Any, ...]]:
    """For each viewer, what sets its rendering of ``status`` apart from others': two viewers
    with the same key see the same entity, so a live event is rendered once per key. The key
    holds the viewer's marks, own poll votes, and whether the viewer wrote the post (or, for a
    reblog, its original)."""
    posts = [status]
    if status.reblog_of_id is not None and (original := await session.get(Status, status.reblog_of_id)):
        posts.append(original)
    ids = [p.id for p in posts]
    authors = {p.account_id for p in posts}
    marks = await _marks(session, viewer_ids, ids, {p.conversation_id or p.id for p in posts})
    votes = await polls.votes_of(session, ids, viewer_ids)
    return {
        v: (
            v in authors,
            *(tuple(sorted(marks[v][name])) for name in _VIEWER_STATES),
            tuple(sorted(votes.get(v, ()))),
        )
        for v in viewer_ids
    }


async def _views(
    session: AsyncSession, statuses: list[Status], viewer_id: int | None = None, reuse: Reuse | None = None
) -> list[StatusView]:
    """Everything a page of statuses renders with, reblogged originals included, in a constant
    number of queries."""
    if not statuses:
        return []
    by_id = {s.id: s for s in statuses}
    wanted = {s.reblog_of_id for s in statuses if s.reblog_of_id is not None} - by_id.keys()
    if wanted:
        by_id.update(
            {s.id: s for s in await session.scalars(select(Status).where(one_of(Status.id, wanted)))}
        )
    everything = list(by_id.values())
    ids = list(by_id)
    conversations = {s.conversation_id or s.id for s in everything}
    state = await _viewer_state(session, viewer_id, ids, conversations)
    favourited, bookmarked, reblogged = state["favourited"], state["bookmarked"], state["reblogged"]
    pinned, muted = state["pinned"], state["muted"]
    authors = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(one_of(Account.id, {s.account_id for s in everything}))
        )
    }
    kept: dict[int, object] = {}
    if reuse is not None:
        for s in everything:
            if s.reblog_of_id is None and (rendering := reuse(s, authors[s.account_id])) is not None:
                kept[s.id] = rendering
    to_load = [i for i in ids if i not in kept]
    mentioned: dict[int, list[Account]] = {}
    tagged: dict[int, list[Tag]] = {}
    attachments: dict[int, list[MediaAttachment]] = {}
    if to_load:
        for status_id, account in await session.execute(
            select(Mention.status_id, Account)
            .join(Account, Account.id == Mention.account_id)
            .where(one_of(Mention.status_id, to_load), Mention.silent == false())
        ):
            mentioned.setdefault(status_id, []).append(account)
        attachments = await media.of_statuses(session, to_load)
        for status_id, tag in await session.execute(
            select(StatusTag.status_id, Tag)
            .join(Tag, Tag.id == StatusTag.tag_id)
            .where(one_of(StatusTag.status_id, to_load))
        ):
            tagged.setdefault(status_id, []).append(tag)
    with_polls = await polls.load(session, ids, viewer_id)
    made_from = await generations.of_statuses(
        session, {s.generation_id for s in everything if s.generation_id is not None}
    )

    def view(s: Status) -> StatusView:
        return StatusView(
            s,
            authors[s.account_id],
            mentioned.get(s.id, []),
            tagged.get(s.id, []),
            favourited=s.id in favourited,
            bookmarked=s.id in bookmarked,
            reblogged=s.id in reblogged,
            muted=(s.conversation_id or s.id) in muted,
            pinned=s.id in pinned,
            poll=with_polls.get(s.id),
            media=attachments.get(s.id, []),
            rendered=kept.get(s.id),
            generation=made_from.get(s.generation_id) if s.generation_id is not None else None,
            show_prompt=not s.hide_prompt or s.account_id == viewer_id,
        )

    views = {s.id: view(s) for s in everything if s.reblog_of_id is None}
    out = []
    for s in statuses:
        original = views.get(s.reblog_of_id) if s.reblog_of_id is not None else None
        if original is None:
            out.append(views.get(s.id) or view(s))
        else:
            out.append(
                StatusView(
                    s,
                    authors[s.account_id],
                    [],
                    [],
                    favourited=original.favourited,
                    bookmarked=original.bookmarked,
                    reblogged=original.reblogged,
                    muted=original.muted,
                    reblog=original,
                )
            )
    return out


async def views_by_id(session: AsyncSession, ids: list[int], viewer_id: int | None) -> dict[int, StatusView]:
    """The statuses among ``ids`` that the viewer may see, by id, in a constant number of queries."""
    if not ids:
        return {}
    found = list(
        await session.scalars(select(Status).where(one_of(Status.id, set(ids)), visible_to(viewer_id)))
    )
    return {v.status.id: v for v in await _views(session, found, viewer_id)}


async def views_of(
    session: AsyncSession, statuses: list[Status], viewer_id: int | None = None, reuse: Reuse | None = None
) -> list[StatusView]:
    """What a list of statuses renders with, for services that select statuses themselves."""
    return await _views(session, statuses, viewer_id, reuse)


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
        return (await _views(session, [earlier], account_id))[0] if earlier is not None else None


def check(settings: Settings, new: NewStatus) -> NewStatus:
    """A new post as it will be written (its poll checked), or Invalid; nothing is read or written."""
    if len(set(new.media_ids)) > settings.max_media_attachments:
        raise Invalid(f"Validation failed: A post may have at most {settings.max_media_attachments} images")
    _check_text(settings, new.text, new.spoiler_text, has_media=bool(new.media_ids))
    if new.visibility is not None and new.visibility not in VISIBILITIES:
        raise Invalid("Validation failed: Visibility must be public, unlisted, private or direct")
    if new.poll is not None:
        return replace(new, poll=polls.check(settings, new.poll))
    return new


def _check_text(settings: Settings, body: str, spoiler_text: str, *, has_media: bool = False) -> None:
    if not body.strip() and not has_media:
        raise Invalid("Validation failed: Text can't be blank")
    if text.length(body, spoiler_text) > settings.max_characters:
        raise Invalid(f"Validation failed: Text character limit of {settings.max_characters} exceeded")
    if len(spoiler_text) > MAX_SPOILER:
        raise Invalid("Validation failed: Content warning is too long")


async def create(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    *,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> StatusView:
    new = check(rt.settings, new)
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Invalid("The Idempotency-Key header is too long")
    # The same request sent again (a retry after a lost answer) gets the same post.
    if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
        return earlier
    try:
        return await _insert(rt, account_id, new, application_id, idempotency_key)
    except IntegrityError:
        # A twin request with the same Idempotency-Key won the race, or another post created one
        # of the same new hashtags at the same moment: the second try finds what the first made.
        if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
            return earlier
        return await _insert(rt, account_id, new, application_id, idempotency_key)


async def _insert(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    application_id: int | None,
    idempotency_key: str | None,
) -> StatusView:
    async with rt.write() as session:
        status = await insert(session, rt.settings, account_id, new, application_id, idempotency_key)
        return (await _views(session, [status], account_id))[0]


@dataclass(frozen=True)
class _Rendered:
    content: str
    mentioned: list[Account]
    tags: list[Tag]


async def _render(session: AsyncSession, settings: Settings, body: str) -> _Rendered:
    """A post's HTML, the local accounts it mentions and its hashtags (created when new)."""
    parsed = text.parse(body)
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
    content = text.render(
        body,
        mention_url=lambda name: (
            settings.url(f"/@{by_name[name.lower()].username}") if name.lower() in by_name else None
        ),
        tag_url=lambda name: settings.url(f"/tags/{name.lower()}"),
    )
    return _Rendered(content, mentioned, await _tags(session, parsed.hashtags))


async def insert(
    session: AsyncSession,
    settings: Settings,
    account_id: int,
    new: NewStatus,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> Status:
    """Writes a checked post (see ``check``) in the caller's transaction, with its mentions, tags,
    poll, counters and ``status.created`` event: the one way a post comes to be, whether it is
    published at once or when its scheduled time comes."""
    user = await session.scalar(select(User).where(User.account_id == account_id))
    reply_to = None
    if new.in_reply_to_id is not None:
        reply_to = await session.scalar(
            select(Status).where(Status.id == new.in_reply_to_id, visible_to(account_id))
        )
        if reply_to is not None and reply_to.reblog_of_id is not None:
            # A reply to a reblog answers the original.
            reply_to = await session.scalar(
                select(Status).where(Status.id == reply_to.reblog_of_id, visible_to(account_id))
            )
        if reply_to is None:
            raise NotFound("The post you reply to was not found")
    rendered = await _render(session, settings, new.text)
    status_id = new_id()
    status = Status(
        id=status_id,
        account_id=account_id,
        text=new.text,
        content=rendered.content,
        spoiler_text=new.spoiler_text,
        sensitive=bool(new.sensitive)
        if new.sensitive is not None
        else bool(user and user.default_sensitive) or bool(new.spoiler_text),
        visibility=new.visibility or (user.default_visibility if user else "public"),
        language=new.language or (user.default_language if user else None),
        in_reply_to_id=reply_to.id if reply_to else None,
        in_reply_to_account_id=reply_to.account_id if reply_to else None,
        conversation_id=(reply_to.conversation_id or reply_to.id) if reply_to else status_id,
        application_id=application_id,
        idempotency_key=idempotency_key or None,
        hide_prompt=new.hide_prompt if new.hide_prompt is not None else bool(user and user.hide_prompt),
        allow_remix=new.allow_remix,
    )
    session.add(status)
    await session.flush()
    attached = await media.attach(session, settings, account_id, new.media_ids, status.id)
    await generations.record_choice(session, status, attached)
    for account in rendered.mentioned:
        session.add(Mention(status_id=status.id, account_id=account.id))
    for tag in rendered.tags:
        session.add(StatusTag(status_id=status.id, tag_id=tag.id))
    now = utcnow()
    if new.poll is not None:
        polls.attach(session, status, new.poll, now)
    await session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(statuses_count=Account.statuses_count + 1, last_status_at=now)
    )
    if reply_to is not None:
        await session.execute(
            update(Status).where(Status.id == reply_to.id).values(replies_count=Status.replies_count + 1)
        )
    await session.flush()
    # A reply notifies the author replied to as a mention does, whether named or not.
    told = dict.fromkeys([a.id for a in rendered.mentioned] + ([reply_to.account_id] if reply_to else []))
    for recipient_id in told:
        await notifications.notify(
            session, "mention", recipient_id=recipient_id, from_account_id=account_id, status_id=status.id
        )
    if reply_to is None or reply_to.account_id == account_id:
        # Followers who asked to hear of every new post (Mastodon leaves out replies to others).
        for follower_id in await session.scalars(
            select(Follow.account_id).where(Follow.target_account_id == account_id, Follow.notify.is_(True))
        ):
            if follower_id not in told:
                await notifications.notify(
                    session,
                    "status",
                    recipient_id=follower_id,
                    from_account_id=account_id,
                    status_id=status.id,
                )
    record(
        session,
        events.StatusCreated(status_id=status.id, account_id=account_id, visibility=status.visibility),
    )
    await session.flush()
    return status


async def get(rt: Runtime, status_id: int, viewer_id: int | None) -> StatusView:
    """A status the viewer may see; 404 otherwise, whether it exists or not."""
    async with rt.db.read() as session:
        status = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
        if status is None:
            raise NotFound()
        return (await _views(session, [status], viewer_id))[0]


async def delete(rt: Runtime, status_id: int, account_id: int) -> StatusView:
    """Deletes the author's own post, keeping a tombstone, and takes its reblogs and pin away;
    answers it with its source (for redraft). Deleting a reblog is taking the reblog back."""
    async with rt.write() as session:
        status = await session.scalar(
            select(Status).where(
                Status.id == status_id, Status.account_id == account_id, Status.deleted_at.is_(None)
            )
        )
        if status is None:
            raise NotFound()
        view = (await _views(session, [status], account_id))[0]
        if status.reblog_of_id is not None:
            await _remove_reblog(session, status)
            return view
        status.deleted_at = utcnow()
        await media.detach_from(session, status.id)
        await _count_statuses(session, account_id, -1)
        if status.in_reply_to_id is not None:
            await session.execute(
                update(Status)
                .where(Status.id == status.in_reply_to_id, Status.replies_count > 0)
                .values(replies_count=Status.replies_count - 1)
            )
        reblogs = await session.execute(
            delete_rows(Status)
            .where(Status.reblog_of_id == status.id)
            .returning(Status.id, Status.account_id)
            .execution_options(synchronize_session=False)
        )
        for reblog_id, rebloggers_id in reblogs.all():
            await _count_statuses(session, rebloggers_id, -1)
            record(session, events.StatusDeleted(status_id=reblog_id, account_id=rebloggers_id))
        await session.execute(delete_rows(StatusPin).where(StatusPin.status_id == status.id))
        record(session, events.StatusDeleted(status_id=status.id, account_id=account_id))
    return view


async def _count_statuses(session: AsyncSession, account_id: int, delta: int) -> None:
    query = update(Account).where(Account.id == account_id)
    if delta < 0:
        query = query.where(Account.statuses_count > 0)
    await session.execute(query.values(statuses_count=Account.statuses_count + delta))


MAX_TIMELINE_PAGE = 40


async def timeline_page(
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
    exclude_reblogs: bool = False,
    only_media: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> list[StatusView]:
    """An account's posts (and reblogs) that the viewer may see, newest first; with ``pinned``,
    only those it pinned (in the same order, as on Mastodon)."""
    async with rt.db.read() as session:
        account = await session.get(Account, account_id)
        if account is None or account.suspended_at is not None:
            raise NotFound()
    query = select(Status).where(Status.account_id == account_id, visible_to(viewer_id))
    if only_media:
        query = query.where(_has_media())
    if pinned:
        query = query.where(
            exists(
                select(StatusPin.id).where(
                    StatusPin.status_id == Status.id, StatusPin.account_id == account_id
                )
            )
        )
    if exclude_reblogs:
        query = query.where(Status.reblog_of_id.is_(None))
    if exclude_replies:
        # Replies to oneself (threads) stay, as on Mastodon.
        query = query.where(or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account_id))
    if tagged:
        query = query.where(_has_tag(tagged))
    return await timeline_page(rt, query, paging, viewer_id)


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


def public_rule(viewer_id: Any, *, only_media: bool = False, tag: str | None = None) -> Any:
    """A SQL condition on Status: the posts of the public timeline (of one hashtag, if given) as
    ``viewer_id`` (None: anonymous; an id or a column) sees it. Live public streams ask it too."""
    rule = and_(
        Status.visibility == "public",
        Status.reblog_of_id.is_(None),
        visible_to(viewer_id),
        not_muted(viewer_id),
    )
    if only_media:
        rule = and_(rule, _has_media())
    if tag is not None:
        rule = and_(rule, _has_tag(tag))
    return rule


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
    """Public posts (not unlisted ones, nor reblogs, as on Mastodon) of the whole instance, or of
    one hashtag, newest first. With a hashtag: ``any_tags`` are also taken, every one of
    ``all_tags`` must be there too, and none of ``none_tags`` may be; still one query per page."""
    query = select(Status).where(public_rule(viewer_id, only_media=only_media))
    if tag is not None:
        query = query.where(_has_tag(tag, *any_tags[:MAX_TAGS_PER_MODE]))
        for name in all_tags[:MAX_TAGS_PER_MODE]:
            query = query.where(_has_tag(name))
        if none_tags:
            query = query.where(~_has_tag(*none_tags[:MAX_TAGS_PER_MODE]))
    return await timeline_page(rt, query, paging, viewer_id)


# --- favourites and bookmarks --------------------------------------------------------------------


async def _visible(session: AsyncSession, status_id: int, viewer_id: int | None) -> Status:
    status = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
    if status is None:
        raise NotFound()
    return status


async def _original(session: AsyncSession, status: Status) -> Status:
    """The status itself, or the original when it is a reblog (visible whenever the reblog is)."""
    if status.reblog_of_id is None:
        return status
    original = await session.get(Status, status.reblog_of_id)
    if original is None:
        raise NotFound()
    return original


async def _react(
    rt: Runtime, model: type[Favourite] | type[Bookmark], account_id: int, status_id: int, on: bool
) -> StatusView:
    """Favourites (or bookmarks) a status the account may see, or takes that back; idempotent."""
    try:
        async with rt.write() as session:
            status = await _visible(session, status_id, account_id)
            # Favouriting (or bookmarking) a reblog is favouriting its original, as on Mastodon.
            target = await _original(session, status)
            existing = await session.scalar(
                select(model.id).where(model.account_id == account_id, model.status_id == target.id)
            )
            changed = False
            if on and existing is None:
                session.add(model(account_id=account_id, status_id=target.id))
                await session.flush()
                changed = True
            elif not on and existing is not None:
                await session.execute(delete_rows(model).where(model.id == existing))
                changed = True
            if changed and model is Favourite:
                counter = update(Status).where(Status.id == target.id)
                if not on:
                    counter = counter.where(Status.favourites_count > 0)
                await session.execute(
                    counter.values(favourites_count=Status.favourites_count + (1 if on else -1))
                )
                if on:
                    await notifications.notify(
                        session,
                        "favourite",
                        recipient_id=status.account_id,
                        from_account_id=account_id,
                        status_id=status_id,
                    )
                else:
                    await notifications.withdraw(
                        session,
                        "favourite",
                        recipient_id=status.account_id,
                        from_account_id=account_id,
                        status_id=status_id,
                    )
                event: DomainEvent = (
                    events.FavouriteCreated(
                        account_id=account_id, status_id=target.id, author_id=target.account_id
                    )
                    if on
                    else events.FavouriteRemoved(account_id=account_id, status_id=target.id)
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
    if viewer_id is not None:
        query = query.where(~blocked_between(viewer_id, Account.id))
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


# --- reblogs -------------------------------------------------------------------------------------


async def reblog(
    rt: Runtime, account_id: int, status_id: int, *, visibility: str | None = None
) -> StatusView:
    """Reblogs a status the account may see (the original, when given a reblog); reblogging again
    answers the existing reblog. Direct posts, and other people's followers-only posts, may not be
    reblogged (403, as on Mastodon); one's own followers-only post may, and its reblog stays
    followers-only."""
    if visibility is not None and visibility not in REBLOG_VISIBILITIES:
        raise Invalid("Validation failed: Visibility must be public, unlisted or private")
    try:
        async with rt.write() as session:
            original = await _original(session, await _visible(session, status_id, account_id))
            if original.visibility == "direct" or (
                original.visibility == "private" and original.account_id != account_id
            ):
                raise Forbidden("This action is not allowed")
            existing = await session.scalar(
                select(Status.id).where(Status.account_id == account_id, Status.reblog_of_id == original.id)
            )
            if existing is None:
                user = await session.scalar(select(User).where(User.account_id == account_id))
                default = user.default_visibility if user else "public"
                chosen = (
                    original.visibility
                    if original.visibility == "private"
                    else visibility or (default if default in REBLOG_VISIBILITIES else "private")
                )
                wrapper = Status(account_id=account_id, reblog_of_id=original.id, visibility=chosen)
                session.add(wrapper)
                await session.flush()
                existing = wrapper.id
                await session.execute(
                    update(Account)
                    .where(Account.id == account_id)
                    .values(statuses_count=Account.statuses_count + 1, last_status_at=utcnow())
                )
                await session.execute(
                    update(Status)
                    .where(Status.id == original.id)
                    .values(reblogs_count=Status.reblogs_count + 1)
                )
                await notifications.notify(
                    session,
                    "reblog",
                    recipient_id=original.account_id,
                    from_account_id=account_id,
                    status_id=original.id,
                )
                record(
                    session,
                    events.StatusReblogged(
                        status_id=wrapper.id,
                        account_id=account_id,
                        reblog_of_id=original.id,
                        author_id=original.account_id,
                        visibility=chosen,
                    ),
                )
    except IntegrityError:
        # The same reblog twice at once: the first one stands.
        async with rt.db.read() as session:
            original = await _original(session, await _visible(session, status_id, account_id))
            existing = await session.scalar(
                select(Status.id).where(Status.account_id == account_id, Status.reblog_of_id == original.id)
            )
        if existing is None:
            raise
    return await get(rt, existing, account_id)


async def _remove_reblog(session: AsyncSession, wrapper: Status) -> None:
    assert wrapper.reblog_of_id is not None
    gone = await session.execute(
        delete_rows(Status).where(Status.id == wrapper.id).execution_options(synchronize_session=False)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        return
    await _count_statuses(session, wrapper.account_id, -1)
    await session.execute(
        update(Status)
        .where(Status.id == wrapper.reblog_of_id, Status.reblogs_count > 0)
        .values(reblogs_count=Status.reblogs_count - 1)
    )
    await notifications.withdraw(
        session,
        "reblog",
        recipient_id=await session.scalar(select(Status.account_id).where(Status.id == wrapper.reblog_of_id))
        or 0,
        from_account_id=wrapper.account_id,
        status_id=wrapper.reblog_of_id,
    )
    record(
        session,
        events.StatusUnreblogged(
            status_id=wrapper.id, account_id=wrapper.account_id, reblog_of_id=wrapper.reblog_of_id
        ),
    )


async def unreblog(rt: Runtime, account_id: int, status_id: int) -> StatusView:
    """Takes the account's reblog of a status back (nothing happens when there is none); answers
    the original as the account now sees it."""
    async with rt.write() as session:
        given = await session.get(Status, status_id)
        original_id = given.reblog_of_id if given is not None and given.reblog_of_id else status_id
        wrapper = await session.scalar(
            select(Status).where(Status.account_id == account_id, Status.reblog_of_id == original_id)
        )
        if wrapper is not None:
            await _remove_reblog(session, wrapper)
    return await get(rt, original_id, account_id)


async def reblogged_by(
    rt: Runtime, status_id: int, viewer_id: int | None, paging: Paging
) -> tuple[list[Account], list[int]]:
    """Who reblogged a status the viewer may see, as far as the viewer may see those reblogs; the
    reblogs' ids are the cursors."""
    async with rt.db.read() as session:
        original = await _original(session, await _visible(session, status_id, viewer_id))
        query = (
            select(Status.id, Account)
            .join(Account, Account.id == Status.account_id)
            .where(Status.reblog_of_id == original.id, visible_to(viewer_id))
        )
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, Status.id, most=80))).all())
        )
    return [row[1] for row in rows], [row[0] for row in rows]


# --- pins ----------------------------------------------------------------------------------------


async def pin(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    """Features one of the account's own posts on its profile (at most ``MAX_PINNED_STATUSES``),
    or takes it off; idempotent. Errors are Mastodon's 422s."""
    try:
        async with rt.write() as session:
            status = await _visible(session, status_id, account_id)
            if on:
                if status.reblog_of_id is not None:
                    raise Invalid("Validation failed: A boost cannot be pinned")
                if status.account_id != account_id:
                    raise Invalid("Validation failed: Someone else's post cannot be pinned")
                if status.visibility == "direct":
                    raise Invalid(
                        "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
                    )
                # The account's row is locked while pins are counted (PostgreSQL), so two pins at
                # once cannot pass the limit together.
                await session.scalar(select(Account.id).where(Account.id == account_id).with_for_update())
                pins = list(
                    await session.scalars(
                        select(StatusPin.status_id).where(StatusPin.account_id == account_id)
                    )
                )
                if status.id not in pins:
                    if len(pins) >= MAX_PINNED_STATUSES:
                        raise Invalid(
                            "Validation failed: You have already pinned the maximum number of posts"
                        )
                    session.add(StatusPin(account_id=account_id, status_id=status.id))
                    await session.flush()
                    record(session, events.StatusPinned(status_id=status.id, account_id=account_id))
            else:
                removed = await session.execute(
                    delete_rows(StatusPin).where(
                        StatusPin.account_id == account_id, StatusPin.status_id == status.id
                    )
                )
                if removed.rowcount:  # type: ignore[attr-defined]
                    record(session, events.StatusUnpinned(status_id=status.id, account_id=account_id))
    except IntegrityError:
        pass  # the same pin twice at once: the first one stands
    return await get(rt, status_id, account_id)


# --- muted conversations -------------------------------------------------------------------------


async def _conversation_of(session: AsyncSession, status: Status) -> int:
    original = await _original(session, status)
    return original.conversation_id or original.id


async def mute_conversation(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    """Mutes (or unmutes) the thread a status the account may see belongs to; idempotent. As on
    Mastodon, any thread the account can see may be muted, whether it took part or not."""
    try:
        async with rt.write() as session:
            conversation = await _conversation_of(session, await _visible(session, status_id, account_id))
            existing = await session.scalar(
                select(ConversationMute.id).where(
                    ConversationMute.account_id == account_id,
                    ConversationMute.conversation_id == conversation,
                )
            )
            if on and existing is None:
                session.add(ConversationMute(account_id=account_id, conversation_id=conversation))
            elif not on and existing is not None:
                await session.execute(delete_rows(ConversationMute).where(ConversationMute.id == existing))
    except IntegrityError:
        pass  # the same mute twice at once
    return await get(rt, status_id, account_id)


async def conversation_muted(session: AsyncSession, account_id: int, status: Status) -> bool:
    """Whether ``account_id`` muted the thread ``status`` belongs to (a reblog counts as its
    original). Notifications call this: on Mastodon, a muted thread notifies of nothing in it
    (mentions, replies, favourites, reblogs, poll ends) to the account that muted it."""
    conversation = await _conversation_of(session, status)
    found = await session.scalar(
        select(ConversationMute.id).where(
            ConversationMute.account_id == account_id, ConversationMute.conversation_id == conversation
        )
    )
    return found is not None


# --- edits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChanges:
    """What PUT /api/v1/statuses/:id may change; None leaves a field as it is."""

    text: str | None = None
    spoiler_text: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Version:
    """One entry of a post's edit history (Mastodon's StatusEdit)."""

    account: Account
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    poll_options: list[str] | None


def _snapshot(status: Status, poll: Poll | None, at: datetime) -> StatusEdit:
    return StatusEdit(
        status_id=status.id,
        account_id=status.account_id,
        text=status.text,
        content=status.content,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        language=status.language,
        poll_options=list(poll.options) if poll is not None else None,
        created_at=at,
    )


async def edit(rt: Runtime, account_id: int, status_id: int, changes: StatusChanges) -> StatusView:
    """Edits the author's own post: text (mentions and hashtags parsed again), content warning,
    sensitivity and language. The first edit keeps the original version too; a request that
    changes nothing records no version. Someone else's post is 403 when the caller can see it
    and 404 when it cannot, as on Mastodon."""
    async with rt.write() as session:
        status = await _visible(session, status_id, account_id)
        if status.account_id != account_id or status.reblog_of_id is not None:
            raise Forbidden("This action is not allowed")
        current = [m.id for m in (await media.of_statuses(session, [status.id])).get(status.id, [])]
        # Clients send the post's images again with every edit; changing them is not possible yet.
        if changes.media_ids and changes.media_ids != current:
            raise Invalid("The images of a post cannot be changed by an edit yet; delete and redraft it")
        body = status.text if changes.text is None else changes.text
        spoiler_text = status.spoiler_text if changes.spoiler_text is None else changes.spoiler_text
        _check_text(rt.settings, body, spoiler_text, has_media=bool(current))
        sensitive = status.sensitive
        if changes.sensitive is not None or changes.spoiler_text is not None:
            sensitive = bool(changes.sensitive) or bool(spoiler_text)
        language = changes.language or status.language
        if (body, spoiler_text, sensitive, language) == (
            status.text,
            status.spoiler_text,
            status.sensitive,
            status.language,
        ):
            return (await _views(session, [status], account_id))[0]
        now = utcnow()
        poll = await session.scalar(select(Poll).where(Poll.status_id == status.id))
        if (
            await session.scalar(select(StatusEdit.id).where(StatusEdit.status_id == status.id).limit(1))
            is None
        ):
            session.add(_snapshot(status, poll, status.created_at))
        added: list[int] = []
        if body != status.text:
            rendered = await _render(session, rt.settings, body)
            added = await _mention_again(session, status.id, [a.id for a in rendered.mentioned])
            await session.execute(delete_rows(StatusTag).where(StatusTag.status_id == status.id))
            for tag in rendered.tags:
                session.add(StatusTag(status_id=status.id, tag_id=tag.id))
            status.text = body
            status.content = rendered.content
        status.spoiler_text = spoiler_text
        status.sensitive = sensitive
        status.language = language
        status.edited_at = now
        session.add(_snapshot(status, poll, now))
        await session.flush()
        for recipient_id in added:
            await notifications.notify(
                session, "mention", recipient_id=recipient_id, from_account_id=account_id, status_id=status.id
            )
        # Those who reblogged the post hear that it changed under their name (Mastodon's "update").
        for reblogger_id in set(
            await session.scalars(
                select(Status.account_id).where(Status.reblog_of_id == status.id, Status.deleted_at.is_(None))
            )
        ):
            await notifications.notify(
                session, "update", recipient_id=reblogger_id, from_account_id=account_id, status_id=status.id
            )
        record(
            session, events.StatusUpdated(status_id=status.id, account_id=account_id, added_mention_ids=added)
        )
        await session.flush()
        return (await _views(session, [status], account_id))[0]


async def _mention_again(session: AsyncSession, status_id: int, mentioned: list[int]) -> list[int]:
    """Brings a post's mentions in line with its new text; returns the accounts mentioned for the
    first time. A mention the edit took out stays, silent: whoever could see the post still can
    (as on Mastodon), but it is no longer shown."""
    earlier = dict(
        (
            await session.execute(
                select(Mention.account_id, Mention.silent).where(Mention.status_id == status_id)
            )
        ).all()
    )
    wanted = set(mentioned)
    for account_id in wanted - earlier.keys():
        session.add(Mention(status_id=status_id, account_id=account_id))
    await session.execute(
        update(Mention)
        .where(Mention.status_id == status_id, Mention.account_id.in_(wanted))
        .values(silent=False)
    )
    await session.execute(
        update(Mention)
        .where(Mention.status_id == status_id, Mention.account_id.not_in(wanted))
        .values(silent=True)
    )
    return [a for a in mentioned if a not in earlier]


async def history(rt: Runtime, status_id: int, viewer_id: int | None) -> list[Version]:
    """Every version of a status the viewer may see, oldest first; a post never edited has one."""
    async with rt.db.read() as session:
        status = await _visible(session, status_id, viewer_id)
        author = await session.get(Account, status.account_id)
        assert author is not None
        edits = list(
            await session.scalars(
                select(StatusEdit).where(StatusEdit.status_id == status.id).order_by(StatusEdit.id)
            )
        )
        if not edits:
            poll = await session.scalar(select(Poll).where(Poll.status_id == status.id))
            edits = [_snapshot(status, poll, status.edited_at or status.created_at)]
    return [
        Version(author, e.content, e.spoiler_text, e.sensitive, e.created_at, e.poll_options) for e in edits
    ]
