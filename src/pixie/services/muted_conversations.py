"""Muted conversations: a thread whose notifications the reader no longer wants."""

from __future__ import annotations

from sqlalchemy import delete as delete_rows
from sqlalchemy import (
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.infra.runtime import Runtime
from pixie.models.reactions import ConversationMute
from pixie.models.statuses import Status
from pixie.services import statuses
from pixie.services.status_views import (
    StatusView,
    original_of,
    visible_status,
)


async def _conversation_of(session: AsyncSession, status: Status) -> int:
    original = await original_of(session, status)
    return original.conversation_id or original.id


async def mute(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    """Mutes (or unmutes) the thread a status the account may see belongs to; idempotent. As on
    Mastodon, any thread the account can see may be muted, whether it took part or not."""
    try:
        async with rt.write() as session:
            conversation = await _conversation_of(
                session, await visible_status(session, status_id, account_id)
            )
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
    return await statuses.get(rt, status_id, account_id)


async def is_muted(session: AsyncSession, account_id: int, status: Status) -> bool:
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
