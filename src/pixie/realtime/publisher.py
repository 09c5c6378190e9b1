"""Domain events to live stream messages: an outbox handler, so publishing happens after commit,
from the event, once per event across all processes.

It decides which channels may want an event (the author's followers, the hashtags' followers,
the lists the author is in, the public timelines) and publishes a short message naming what
happened on each of them; every process then checks and renders for its own listeners (``hub``).
A channel nobody listens to costs nothing (Redis drops the message; see ``RedisPubSub``).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.infra.outbox import Delivery
from pixie.infra.runtime import Runtime
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


async def _author_channels(session: AsyncSession, author_id: int) -> list[str]:
    """The author's own channel, its followers' and those of the lists it is in."""
    followers = await session.scalars(select(Follow.account_id).where(Follow.target_account_id == author_id))
    in_lists = await session.scalars(select(ListAccount.list_id).where(ListAccount.account_id == author_id))
    return [user_channel(author_id), *map(user_channel, followers), *map(list_channel, in_lists)]


async def _status_channels(session: AsyncSession, status: Status) -> list[str]:
    """Every channel whose listeners might see the status (each checks for itself)."""
    channels = await _author_channels(session, status.account_id)
    channels += [
        user_channel(a)
        for a in await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))
    ]
    if status.visibility == "public" and status.reblog_of_id is None:
        tag_ids = list(
            await session.scalars(select(StatusTag.tag_id).where(StatusTag.status_id == status.id))
        )
        if tag_ids:
            channels += [
                user_channel(a)
                for a in await session.scalars(
                    select(FollowedTag.account_id).where(FollowedTag.tag_id.in_(tag_ids)).distinct()
                )
            ]
            for name in await session.scalars(select(Tag.name).where(Tag.id.in_(tag_ids))):
                channels += [hashtag_channel(name), hashtag_channel(name, local=True)]
        has_media = await session.scalar(
            select(exists(select(MediaAttachment.id).where(MediaAttachment.status_id == status.id)))
        )
        for media in (False, True) if has_media else (False,):
            channels += [public_channel(media=media), public_channel(local=True, media=media)]
    return list(dict.fromkeys(channels))


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
            status = await session.get(Status, event.status_id)
            if status is None:
                return
            channels = await _status_channels(session, status)
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
