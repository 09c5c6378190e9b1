"""Domain events to live stream messages: an outbox handler, so publishing happens after commit,
from the event, once per event across all processes.

It decides which channels may want an event (the author's followers, the hashtags' followers,
the lists the author is in, the public timelines) and publishes a short message naming what
happened on each of them; every process then checks and renders for its own listeners (``hub``).
A channel nobody listens to costs nothing (Redis drops the message; see ``RedisPubSub``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from sqlalchemy import BigInteger, Select, bindparam, case, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.idlist import joined_ids, split_ids
from pixie.infra.outbox import Delivery
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.lists import ListAccount
from pixie.models.media import MediaAttachment
from pixie.models.statuses import Mention, Status, StatusTag, Tag
from pixie.models.tag_follows import FollowedTag
from pixie.realtime.streams import hashtag_channel, list_channel, public_channel, user_channel
from pixie.services import events

GROUP = "realtime.publish"


def _message(event: str, **subject: int) -> str:
    return orjson.dumps({"event": event, **subject}).decode()


_AUTHOR = bindparam("author", type_=BigInteger)
_STATUS = bindparam("status", type_=BigInteger)
# The author's followers and the lists the author is in, each as one joined string.
_FOLLOWERS = joined_ids(select(Follow.account_id).where(Follow.target_account_id == _AUTHOR))
_LISTS = joined_ids(select(ListAccount.list_id).where(ListAccount.account_id == _AUTHOR))


@cache
def _author_audience() -> Select[str | None, str | None]:
    return select(_FOLLOWERS, _LISTS)


# An author with more followers than this is published to those of them with a user stream
# open (``presence``), found among them in the database, rather than to every follower's channel.
MANY_FOLLOWERS = 1000


@cache
def _present_followers() -> Select[str | None]:
    """Those of ``present`` (accounts streaming now) who follow ``author``: an index probe each."""
    ids = func.unnest(bindparam("present", type_=ARRAY(BigInteger)))
    present = ids.table_valued("id").render_derived("present")
    return select(
        joined_ids(
            select(Follow.account_id)
            .join(present, Follow.account_id == present.c.id)
            .where(Follow.target_account_id == _AUTHOR)
        )
    )


@cache
def _status_audience() -> Select[Any]:
    """Who may want a status, in one statement built once: the author's audience (its followers
    left out when there are many: NULL, see ``MANY_FOLLOWERS``), the accounts it mentions, its
    hashtags and their followers, and whether it has media."""
    tag_ids = select(StatusTag.tag_id).where(StatusTag.status_id == _STATUS)
    followers = select(Account.followers_count).where(Account.id == _AUTHOR).scalar_subquery()
    many = followers > bindparam("many", type_=BigInteger)
    return select(
        Status.visibility,
        Status.reblog_of_id,
        case((many, None), else_=_FOLLOWERS),
        many,
        _LISTS,
        joined_ids(select(Mention.account_id).where(Mention.status_id == _STATUS)),
        joined_ids(select(FollowedTag.account_id).where(FollowedTag.tag_id.in_(tag_ids))),
        select(func.aggregate_strings(Tag.name, ",")).where(Tag.id.in_(tag_ids)).scalar_subquery(),
        exists(select(MediaAttachment.id).where(MediaAttachment.status_id == _STATUS)),
    ).where(Status.id == _STATUS)


def _user_and_list_channels(author_id: int, users: list[int], lists: list[int]) -> list[str]:
    return [*map(user_channel, dict.fromkeys([author_id, *users])), *map(list_channel, lists)]


async def _author_channels(session: AsyncSession, author_id: int) -> list[str]:
    """The author's own channel, its followers' and those of the lists it is in."""
    followers, lists = (await session.execute(_author_audience(), {"author": author_id})).one()
    return _user_and_list_channels(author_id, split_ids(followers), split_ids(lists))


async def _followers_streaming(rt: Runtime, session: AsyncSession, author_id: int) -> str | None:
    """An author's followers with a user stream open now, joined (all of them where this
    process cannot know: embedded defaults, where every stream is in this process)."""
    present = await rt.presence.present()
    if present is None or rt.db.is_sqlite:
        return (await session.execute(_author_audience(), {"author": author_id})).one()[0]
    if not present:
        return None
    return await session.scalar(_present_followers(), {"author": author_id, "present": list(present)})


async def _status_channels(
    rt: Runtime, session: AsyncSession, status_id: int, author_id: int
) -> list[str] | None:
    """Every channel whose listeners might see the status (each checks for itself); None when
    the status is not there."""
    row = (
        await session.execute(
            _status_audience(), {"author": author_id, "status": status_id, "many": MANY_FOLLOWERS}
        )
    ).one_or_none()
    if row is None:
        return None
    visibility, reblog_of_id, followers, many, lists, mentioned, tag_followers, names, has_media = row
    if many:
        followers = await _followers_streaming(rt, session, author_id)
    users = split_ids(followers) + split_ids(mentioned)
    channels: list[str] = []
    if visibility == "public" and reblog_of_id is None:
        users += split_ids(tag_followers)
        for name in names.split(",") if names else []:
            channels += [hashtag_channel(name), hashtag_channel(name, local=True)]
        for with_media in (False, True) if has_media else (False,):
            channels += [public_channel(media=with_media), public_channel(local=True, media=with_media)]
    return _user_and_list_channels(author_id, users, split_ids(lists)) + list(dict.fromkeys(channels))


async def publish(rt: Runtime, delivery: Delivery) -> None:
    event: Any = delivery.event
    messages: list[tuple[str, str]] = []
    if isinstance(
        event,
        events.StatusCreated | events.StatusReblogged | events.StatusUpdated | events.StatusDeleted,
    ):
        name = {
            events.StatusCreated: "update",
            events.StatusReblogged: "update",
            events.StatusUpdated: "status.update",
            events.StatusDeleted: "delete",
        }[type(event)]
        async with rt.db.read() as session:
            channels = await _status_channels(rt, session, event.status_id, event.account_id)
        if channels is None:
            return
        message = _message(name, status=event.status_id)
        messages = [(c, message) for c in channels]
    elif isinstance(event, events.StatusUnreblogged):
        async with rt.db.read() as session:  # the reblog itself is gone
            channels = await _author_channels(session, event.account_id)
        message = _message("delete", status=event.status_id)
        messages = [(c, message) for c in channels]
    elif isinstance(event, events.NotificationsMerged):
        messages = [(user_channel(event.account_id), _message("notifications_merged"))]
    elif isinstance(event, events.FiltersChanged):
        messages = [(user_channel(event.account_id), _message("filters_changed"))]
    elif isinstance(event, events.ConversationUpdated):
        messages = [
            (user_channel(account_id), _message("conversation", conversation=row_id))
            for account_id, row_id in zip(event.account_ids, event.conversation_ids, strict=True)
        ]
    elif isinstance(event, events.NotificationCreated) and not event.filtered:
        messages = [
            (user_channel(event.account_id), _message("notification", notification=event.notification_id))
        ]
    elif isinstance(
        event, events.GenerationRequested | events.GenerationProgressed | events.GenerationFinished
    ):
        messages = [
            (user_channel(event.account_id), _message("pixie.generation", generation=event.generation_id))
        ]
    await rt.pubsub.publish_many(messages)


def install(rt: Runtime) -> None:
    rt.handlers.add(
        GROUP,
        [
            events.StatusCreated,
            events.StatusReblogged,
            events.StatusUpdated,
            events.StatusDeleted,
            events.StatusUnreblogged,
            events.NotificationCreated,
            events.ConversationUpdated,
            events.FiltersChanged,
            events.NotificationsMerged,
            events.GenerationRequested,
            events.GenerationProgressed,
            events.GenerationFinished,
        ],
        lambda d: publish(rt, d),
    )
