"""Following: follows, the requests locked accounts decide on, relationships, follower lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from pixie.db.types import utcnow
from pixie.errors import Forbidden, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.blocks import Block, Mute
from pixie.models.follows import Follow, FollowRequest
from pixie.models.lists import List, ListAccount
from pixie.services import events, notifying
from pixie.services.paging import Paging
from pixie.services.visibility import blocked_between

MAX_PAGE = 80


@dataclass(frozen=True)
class Relationship:
    target_id: int
    following: bool
    showing_reblogs: bool
    notifying: bool
    followed_by: bool
    requested: bool
    requested_by: bool
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    muting_expires_at: datetime | None = None


async def visible_account(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound()
    return account


async def _count(session: AsyncSession, account_id: int, target_id: int, delta: int) -> None:
    """Keeps both accounts' counters in step with a follow made (+1) or ended (-1)."""
    for column, who in ((Account.following_count, account_id), (Account.followers_count, target_id)):
        query = update(Account).where(Account.id == who)
        if delta < 0:
            query = query.where(column > 0)
        await session.execute(query.values({column: column + delta}))


async def end_follow(session: AsyncSession, account_id: int, target_id: int) -> None:
    """Ends ``account_id``'s follow of ``target_id`` (and a pending request), with all that hangs on
    it: both counters, the target's notification, and the target's place in the follower's lists."""
    removed = await session.execute(
        delete(Follow).where(Follow.account_id == account_id, Follow.target_account_id == target_id)
    )
    requests = await session.execute(
        delete(FollowRequest).where(
            FollowRequest.account_id == account_id, FollowRequest.target_account_id == target_id
        )
    )
    if requests.rowcount:  # type: ignore[attr-defined]
        await notifying.withdraw(
            session, "follow_request", recipient_id=target_id, from_account_id=account_id
        )
    if removed.rowcount:  # type: ignore[attr-defined]
        await _count(session, account_id, target_id, -1)
        await notifying.withdraw(session, "follow", recipient_id=target_id, from_account_id=account_id)
        record(session, events.FollowRemoved(account_id=account_id, target_account_id=target_id))
    # As on Mastodon, an account one no longer follows leaves one's lists.
    await session.execute(
        delete(ListAccount).where(
            ListAccount.account_id == target_id,
            ListAccount.list_id.in_(select(List.id).where(List.account_id == account_id)),
        )
    )


async def follow(
    rt: Runtime, account_id: int, target_id: int, *, reblogs: bool | None, notify: bool | None
) -> Relationship:
    if account_id == target_id:
        raise Forbidden("You cannot follow yourself")
    try:
        async with rt.write() as session:
            target = await visible_account(session, target_id)
            if await session.scalar(select(blocked_between(account_id, target_id))):
                raise Forbidden("This action is not allowed")
            existing = await session.scalar(
                select(Follow).where(Follow.account_id == account_id, Follow.target_account_id == target_id)
            )
            if existing is not None:  # already following: only the options change
                if reblogs is not None:
                    existing.show_reblogs = reblogs
                if notify is not None:
                    existing.notify = notify
            elif target.locked:
                request = await session.scalar(
                    select(FollowRequest).where(
                        FollowRequest.account_id == account_id, FollowRequest.target_account_id == target_id
                    )
                )
                if request is None:
                    session.add(
                        FollowRequest(
                            account_id=account_id,
                            target_account_id=target_id,
                            show_reblogs=True if reblogs is None else reblogs,
                            notify=bool(notify),
                        )
                    )
                    await notifying.notify(
                        session, "follow_request", recipient_id=target_id, from_account_id=account_id
                    )
                    record(
                        session, events.FollowRequested(account_id=account_id, target_account_id=target_id)
                    )
            else:
                session.add(
                    Follow(
                        account_id=account_id,
                        target_account_id=target_id,
                        show_reblogs=True if reblogs is None else reblogs,
                        notify=bool(notify),
                    )
                )
                await session.flush()
                await _count(session, account_id, target_id, +1)
                await notifying.notify(session, "follow", recipient_id=target_id, from_account_id=account_id)
                record(session, events.FollowCreated(account_id=account_id, target_account_id=target_id))
    except IntegrityError:
        pass  # the same follow made twice at once: the first one stands
    return (await relationships(rt, account_id, [target_id]))[0]


async def unfollow(rt: Runtime, account_id: int, target_id: int) -> Relationship:
    async with rt.write() as session:
        await visible_account(session, target_id)
        await end_follow(session, account_id, target_id)
    return (await relationships(rt, account_id, [target_id]))[0]


async def remove_from_followers(rt: Runtime, account_id: int, follower_id: int) -> Relationship:
    """Ends another account's follow of this one (or its pending request)."""
    async with rt.write() as session:
        await visible_account(session, follower_id)
        await end_follow(session, follower_id, account_id)
    return (await relationships(rt, account_id, [follower_id]))[0]


async def decide_request(rt: Runtime, target_id: int, requester_id: int, *, accept: bool) -> Relationship:
    """The locked account accepts or rejects a request made to it."""
    async with rt.write() as session:
        request = await session.scalar(
            select(FollowRequest).where(
                FollowRequest.account_id == requester_id, FollowRequest.target_account_id == target_id
            )
        )
        if request is None:
            raise NotFound("Follow request not found")
        await session.delete(request)
        await notifying.withdraw(
            session, "follow_request", recipient_id=target_id, from_account_id=requester_id
        )
        if accept:
            session.add(
                Follow(
                    account_id=requester_id,
                    target_account_id=target_id,
                    show_reblogs=request.show_reblogs,
                    notify=request.notify,
                )
            )
            await session.flush()
            await _count(session, requester_id, target_id, +1)
            record(session, events.FollowCreated(account_id=requester_id, target_account_id=target_id))
    return (await relationships(rt, target_id, [requester_id]))[0]


async def relationships(rt: Runtime, viewer_id: int, target_ids: list[int]) -> list[Relationship]:
    async with rt.db.read() as session:
        outgoing = {
            f.target_account_id: f
            for f in await session.scalars(
                select(Follow).where(Follow.account_id == viewer_id, Follow.target_account_id.in_(target_ids))
            )
        }
        incoming = set(
            await session.scalars(
                select(Follow.account_id).where(
                    Follow.target_account_id == viewer_id, Follow.account_id.in_(target_ids)
                )
            )
        )
        requested = set(
            await session.scalars(
                select(FollowRequest.target_account_id).where(
                    FollowRequest.account_id == viewer_id, FollowRequest.target_account_id.in_(target_ids)
                )
            )
        )
        requested_by = set(
            await session.scalars(
                select(FollowRequest.account_id).where(
                    FollowRequest.target_account_id == viewer_id, FollowRequest.account_id.in_(target_ids)
                )
            )
        )
        blocks = list(
            await session.execute(
                select(Block.account_id, Block.target_account_id).where(
                    or_(
                        and_(Block.account_id == viewer_id, Block.target_account_id.in_(target_ids)),
                        and_(Block.target_account_id == viewer_id, Block.account_id.in_(target_ids)),
                    )
                )
            )
        )
        now = utcnow()
        mutes = {
            m.target_account_id: m
            for m in await session.scalars(
                select(Mute).where(
                    Mute.account_id == viewer_id,
                    Mute.target_account_id.in_(target_ids),
                    or_(Mute.expires_at.is_(None), Mute.expires_at > now),
                )
            )
        }
    blocking = {target for who, target in blocks if who == viewer_id}
    blocked_by = {who for who, target in blocks if target == viewer_id}
    return [
        Relationship(
            target_id=t,
            following=t in outgoing,
            showing_reblogs=outgoing[t].show_reblogs if t in outgoing else False,
            notifying=outgoing[t].notify if t in outgoing else False,
            followed_by=t in incoming,
            requested=t in requested,
            requested_by=t in requested_by,
            blocking=t in blocking,
            blocked_by=t in blocked_by,
            muting=t in mutes,
            muting_notifications=t in mutes and mutes[t].hide_notifications,
            muting_expires_at=mutes[t].expires_at if t in mutes else None,
        )
        for t in target_ids
    ]


@dataclass(frozen=True)
class Page:
    accounts: list[Account]
    cursors: list[int]  # the follow (or request) id of each account, for paging


async def account_page(
    rt: Runtime, query: Select[int, Account], column: InstrumentedAttribute[int], paging: Paging
) -> Page:
    async with rt.db.read() as session:
        rows = list((await session.execute(paging.apply(query, column, most=MAX_PAGE))).all())
    rows = paging.newest_first(rows)
    return Page([r[1] for r in rows], [r[0] for r in rows])


async def followers(rt: Runtime, account_id: int, paging: Paging) -> Page:
    async with rt.db.read() as session:
        await visible_account(session, account_id)
    query = (
        select(Follow.id, Account)
        .join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Account.suspended_at.is_(None))
    )
    return await account_page(rt, query, Follow.id, paging)


async def following(rt: Runtime, account_id: int, paging: Paging) -> Page:
    async with rt.db.read() as session:
        await visible_account(session, account_id)
    query = (
        select(Follow.id, Account)
        .join(Account, Account.id == Follow.target_account_id)
        .where(Follow.account_id == account_id, Account.suspended_at.is_(None))
    )
    return await account_page(rt, query, Follow.id, paging)


async def requests(rt: Runtime, account_id: int, paging: Paging) -> Page:
    query = (
        select(FollowRequest.id, Account)
        .join(Account, Account.id == FollowRequest.account_id)
        .where(FollowRequest.target_account_id == account_id, Account.suspended_at.is_(None))
    )
    return await account_page(rt, query, FollowRequest.id, paging)
