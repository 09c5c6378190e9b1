"""What a status renders with (``StatusView``), loaded for a page in a constant number of queries,
and the reader's own marks on it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    false,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.idlist import one_of
from pixie.errors import NotFound
from pixie.models.accounts import Account
from pixie.models.generations import Generation
from pixie.models.media import MediaAttachment
from pixie.models.reactions import Bookmark, ConversationMute, Favourite, StatusPin
from pixie.models.statuses import Mention, Status, StatusTag, Tag
from pixie.services import generations, media, polls
from pixie.services.filter_rules import FilterMatch
from pixie.services.visibility import visible_to


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
    # What the post was generated from, and whether the viewer may read its prompt (the author
    # always may; others unless the author hid it).
    generation: Generation | None = None
    show_prompt: bool = True
    # The reader's filters this post matches where it is shown (warn or blur; hide drops it).
    filtered: list[FilterMatch] = field(default_factory=list)


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
    session: AsyncSession,
    statuses: list[Status],
    viewer_id: int | None = None,
    *,
    with_polls: bool = True,
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
    to_load = ids
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
    loaded_polls = await polls.load(session, ids, viewer_id) if with_polls else {}
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
            poll=loaded_polls.get(s.id),
            media=attachments.get(s.id, []),
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


async def of_new(
    session: AsyncSession,
    status: Status,
    author: Account,
    mentions: list[Account],
    tags: list[Tag],
    media: list[MediaAttachment],
    *,
    has_poll: bool,
) -> StatusView:
    """A post just written, as its author sees it, without loading what is at hand: nobody can
    have marked it yet, and its author, mentions, tags and images are those just written. Only
    its poll and generation, and, for a reply, whether the author muted the thread are read."""
    conversation = status.conversation_id or status.id
    muted = (
        status.in_reply_to_id is not None
        and conversation
        in (await _viewer_state(session, status.account_id, [status.id], {conversation}))["muted"]
    )
    poll = (await polls.load(session, [status.id], status.account_id)).get(status.id) if has_poll else None
    generation = (
        (await generations.of_statuses(session, {status.generation_id})).get(status.generation_id)
        if status.generation_id is not None
        else None
    )
    return StatusView(
        status,
        author,
        list(mentions),
        list(tags),
        muted=muted,
        poll=poll,
        media=list(media),
        generation=generation,
    )


async def views_by_id(session: AsyncSession, ids: list[int], viewer_id: int | None) -> dict[int, StatusView]:
    """The statuses among ``ids`` that the viewer may see, by id, in a constant number of queries."""
    if not ids:
        return {}
    found = list(
        await session.scalars(select(Status).where(one_of(Status.id, set(ids)), visible_to(viewer_id)))
    )
    return {v.status.id: v for v in await _views(session, found, viewer_id)}


async def unscreened_views(session: AsyncSession, ids: Collection[int]) -> list[StatusView]:
    """The statuses among ``ids``, reblogged originals included, as an anonymous reader's views
    but without asking who may see them: for rendering what the caller already knows its reader
    may see (the shared part of a status, kept for every reader)."""
    if not ids:
        return []
    found = list(await session.scalars(select(Status).where(one_of(Status.id, set(ids)))))
    return await _views(session, found, None, with_polls=False)  # polls are rendered per reader


async def views_of(
    session: AsyncSession, statuses: list[Status], viewer_id: int | None = None
) -> list[StatusView]:
    """What a list of statuses renders with, for services that select statuses themselves."""
    return await _views(session, statuses, viewer_id)


async def visible_status(session: AsyncSession, status_id: int, viewer_id: int | None) -> Status:
    status = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
    if status is None:
        raise NotFound()
    return status


async def original_of(session: AsyncSession, status: Status) -> Status:
    """The status itself, or the original when it is a reblog (visible whenever the reblog is)."""
    if status.reblog_of_id is None:
        return status
    original = await session.get(Status, status.reblog_of_id)
    if original is None:
        raise NotFound()
    return original
