"""Blocks and mutes.

A block ends the follows and follow requests between the two accounts, both ways, and hides
each side's posts from the other in every read (``visibility.visible_to``); neither may follow
the other while it stands. A mute, for a while or until taken back, keeps the muted account's
posts off the timelines that gather many accounts and, unless asked otherwise, its notifications
away; its profile and its posts fetched directly stay readable.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.blocks import Block, Mute
from pixie.services import events
from pixie.services.follows import (
    Page,
    Relationship,
    account_page,
    end_follow,
    relationships,
    visible_account,
)
from pixie.services.paging import Paging

# Longer than anyone means "for a while": a year's worth of seconds times a hundred.
MAX_MUTE_SECONDS = 100 * 365 * 24 * 3600


async def block(rt: Runtime, account_id: int, target_id: int) -> Relationship:
    if account_id == target_id:
        raise Forbidden("You cannot block yourself")
    try:
        async with rt.write() as session:
            await visible_account(session, target_id)
            existing = await session.scalar(
                select(Block.id).where(Block.account_id == account_id, Block.target_account_id == target_id)
            )
            if existing is None:
                session.add(Block(account_id=account_id, target_account_id=target_id))
                await session.flush()
                await end_follow(session, account_id, target_id)
                await end_follow(session, target_id, account_id)
                record(session, events.BlockCreated(account_id=account_id, target_account_id=target_id))
    except IntegrityError:
        pass  # the same block made twice at once: the first one stands
    return (await relationships(rt, account_id, [target_id]))[0]


async def unblock(rt: Runtime, account_id: int, target_id: int) -> Relationship:
    async with rt.write() as session:
        await visible_account(session, target_id)
        removed = await session.execute(
            delete(Block).where(Block.account_id == account_id, Block.target_account_id == target_id)
        )
        if removed.rowcount:  # type: ignore[attr-defined]
            record(session, events.BlockRemoved(account_id=account_id, target_account_id=target_id))
    return (await relationships(rt, account_id, [target_id]))[0]


async def mute(
    rt: Runtime, account_id: int, target_id: int, *, notifications: bool = True, duration: int = 0
) -> Relationship:
    """Mutes an account, or changes a mute; ``duration`` in seconds, 0 for until taken back."""
    if account_id == target_id:
        raise Forbidden("You cannot mute yourself")
    if duration < 0 or duration > MAX_MUTE_SECONDS:
        raise Invalid("Validation failed: Duration is not a valid number of seconds")
    expires_at = utcnow() + timedelta(seconds=duration) if duration else None
    try:
        async with rt.write() as session:
            await visible_account(session, target_id)
            existing = await session.scalar(
                select(Mute).where(Mute.account_id == account_id, Mute.target_account_id == target_id)
            )
            if existing is None:
                session.add(
                    Mute(
                        account_id=account_id,
                        target_account_id=target_id,
                        hide_notifications=notifications,
                        expires_at=expires_at,
                    )
                )
            else:  # muting again changes the mute (an expired one starts anew)
                existing.hide_notifications = notifications
                existing.expires_at = expires_at
            record(
                session,
                events.MuteCreated(
                    account_id=account_id,
                    target_account_id=target_id,
                    notifications=notifications,
                    expires_at=expires_at,
                ),
            )
    except IntegrityError:
        pass
    return (await relationships(rt, account_id, [target_id]))[0]


async def unmute(rt: Runtime, account_id: int, target_id: int) -> Relationship:
    async with rt.write() as session:
        await visible_account(session, target_id)
        removed = await session.execute(
            delete(Mute).where(Mute.account_id == account_id, Mute.target_account_id == target_id)
        )
        if removed.rowcount:  # type: ignore[attr-defined]
            record(session, events.MuteRemoved(account_id=account_id, target_account_id=target_id))
    return (await relationships(rt, account_id, [target_id]))[0]


async def blocks(rt: Runtime, account_id: int, paging: Paging) -> Page:
    """The accounts one blocks, the latest block first."""
    query = (
        select(Block.id, Account)
        .join(Account, Account.id == Block.target_account_id)
        .where(Block.account_id == account_id, Account.suspended_at.is_(None))
    )
    return await account_page(rt, query, Block.id, paging)


async def mutes(rt: Runtime, account_id: int, paging: Paging) -> Page:
    """The accounts one mutes now, the latest mute first."""
    query = (
        select(Mute.id, Account)
        .join(Account, Account.id == Mute.target_account_id)
        .where(
            Mute.account_id == account_id,
            Account.suspended_at.is_(None),
            or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()),
        )
    )
    return await account_page(rt, query, Mute.id, paging)
