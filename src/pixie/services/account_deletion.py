"""Deleting one's own account. The account is gone at once, in one transaction: its sign-in
(e-mail and password), profile, follows both ways, consent and every token; its posts vanish
from every read at the same moment, as those of a suspended account do. Its posts, likes,
bookmarks and notifications are then removed by a handler of the ``account.deleted`` event,
post by post through the same path as a deleted post (counters, reblogs, conversations, live
streams and the search index follow), which may run again safely. The username stays taken, as
on Mastodon, so nobody can pose as the person who left."""

from __future__ import annotations

import contextlib

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.types import utcnow
from pixie.errors import NotFound, PixieError
from pixie.infra.outbox import Delivery, record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.follows import Follow, FollowRequest
from pixie.models.notifications import Notification
from pixie.models.reactions import Bookmark, Favourite
from pixie.models.statuses import Status
from pixie.services import accounts, events, media, passwords, statuses
from pixie.services.accounts import ValidationFailed
from pixie.services.oauth import account_changed, revoke_all_for_account
from pixie.services.tokens import new_secret

GROUP = "accounts.deletion"


async def _unfollow_all(session: AsyncSession, account_id: int) -> None:
    """Ends every follow to and from the account, with the other side's counters."""
    followed = list(
        await session.scalars(select(Follow.target_account_id).where(Follow.account_id == account_id))
    )
    followers = list(
        await session.scalars(select(Follow.account_id).where(Follow.target_account_id == account_id))
    )
    await session.execute(
        delete(Follow).where((Follow.account_id == account_id) | (Follow.target_account_id == account_id))
    )
    await session.execute(
        delete(FollowRequest).where(
            (FollowRequest.account_id == account_id) | (FollowRequest.target_account_id == account_id)
        )
    )
    if followed:
        await session.execute(
            update(Account)
            .where(Account.id.in_(followed), Account.followers_count > 0)
            .values(followers_count=Account.followers_count - 1)
        )
    if followers:
        await session.execute(
            update(Account)
            .where(Account.id.in_(followers), Account.following_count > 0)
            .values(following_count=Account.following_count - 1)
        )


async def delete_account(rt: Runtime, account_id: int, password: str) -> None:
    """Deletes the caller's own account, given its password."""
    async with rt.db.read() as session:
        user = await session.scalar(select(User).where(User.account_id == account_id))
    if user is None:
        raise NotFound()
    if not await passwords.verify_password(user.password_hash, password):
        raise ValidationFailed(
            {"password": [{"error": "ERR_INVALID", "description": "The password is not right"}]}
        )
    unusable = await passwords.hash_password(new_secret())
    async with rt.write() as session:
        account = await session.get(Account, account_id)
        user = await session.scalar(select(User).where(User.account_id == account_id))
        assert account is not None and user is not None
        images = [account.avatar_key, account.header_key]
        now = utcnow()
        account.suspended_at = now
        account.display_name, account.note, account.fields = "", "", []
        account.avatar_key = account.header_key = None
        account.discoverable = account.indexable = False
        account.updated_at = now
        user.email = f"deleted-{user.id}@deleted.invalid"
        user.password_hash = unusable
        if user.ai_training_consent:
            accounts.withdraw_consent(session, user)
        await _unfollow_all(session, account_id)
        await revoke_all_for_account(session, account_id)
        record(session, events.AccountDeleted(account_id=account_id))
    await media.forget_files(rt, images)
    await account_changed(rt, account_id)


async def purge(rt: Runtime, delivery: Delivery) -> None:
    """Removes what a deleted account left: its posts, likes, bookmarks and notifications."""
    event = delivery.event
    assert isinstance(event, events.AccountDeleted)
    account_id = event.account_id
    async with rt.db.read() as session:
        posts = list(
            await session.scalars(
                select(Status.id).where(Status.account_id == account_id, Status.deleted_at.is_(None))
            )
        )
    for status_id in posts:
        # One gone already (a reblog whose original went first, or an earlier run) is skipped.
        with contextlib.suppress(PixieError):
            await statuses.delete(rt, status_id, account_id)
    async with rt.write() as session:
        liked = list(
            await session.scalars(select(Favourite.status_id).where(Favourite.account_id == account_id))
        )
        await session.execute(delete(Favourite).where(Favourite.account_id == account_id))
        if liked:
            recount = (
                select(func.count(Favourite.id)).where(Favourite.status_id == Status.id).scalar_subquery()
            )
            await session.execute(update(Status).where(Status.id.in_(liked)).values(favourites_count=recount))
        await session.execute(delete(Bookmark).where(Bookmark.account_id == account_id))
        await session.execute(
            delete(Notification).where(
                (Notification.from_account_id == account_id) | (Notification.account_id == account_id)
            )
        )


def install(rt: Runtime) -> None:
    rt.handlers.add(GROUP, [events.AccountDeleted], lambda delivery: purge(rt, delivery))
