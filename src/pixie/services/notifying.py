"""Writing notifications: called by the service whose write causes one, in that write's
transaction. A leaf: it imports no other service, so every service may notify.

Types, as Mastodon names them:

- ``mention``: a post mentions the recipient, or replies to one of its posts (status);
- ``status``: an account the recipient follows with ``notify`` posted (status);
- ``reblog``: someone boosted the recipient's post (status; grouped per post);
- ``follow``: someone followed the recipient (grouped);
- ``follow_request``: someone asks to follow the recipient's locked account;
- ``favourite``: someone favourited the recipient's post (status; grouped per post);
- ``poll``: a poll the recipient voted in or created has ended (status; the only type sent to
  oneself, for one's own poll);
- ``update``: a post the recipient boosted was edited (status);
- ``admin.sign_up`` and ``admin.report``: for moderators.

No notification comes from an account the recipient blocks, is blocked by, or mutes with its
notifications, nor about a post the recipient may not see.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.ids import new_id
from pixie.db.types import utcnow
from pixie.infra.outbox import record
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.notifications import (
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from pixie.models.reactions import ConversationMute
from pixie.models.statuses import Status
from pixie.services import events
from pixie.services.visibility import active_mute, blocked_between, visible_to

TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
)
GROUPED_TYPES = ("favourite", "follow", "reblog")
# A group takes in what happens within this many hours of its first notification.
GROUP_SPAN_HOURS = 12


async def _group_key(
    session: AsyncSession, type_: str, recipient_id: int, status_id: int | None
) -> str | None:
    """Mastodon's grouping: ``<type>[-<status id>]-<hour>``, where the hour is the first of the group."""
    if type_ not in GROUPED_TYPES:
        return None
    prefix = f"{type_}-{status_id}" if type_ in ("favourite", "reblog") else type_
    hour = int(utcnow().timestamp()) // 3600
    previous = await session.scalar(
        select(Notification.group_key)
        .where(
            Notification.account_id == recipient_id,
            Notification.group_key.startswith(f"{prefix}-", autoescape=True),
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    if previous is not None:
        earlier = previous.rsplit("-", 1)[-1]
        if earlier.isdigit() and hour < int(earlier) + GROUP_SPAN_HOURS:
            hour = int(earlier)
    return f"{prefix}-{hour}"


# The types a notification policy may hold back (Mastodon's "filterable" ones).
FILTERABLE_TYPES = ("mention", "reblog", "follow", "follow_request", "favourite")
NEW_ACCOUNT_DAYS = 30
_STRICTNESS = {"accept": 0, "filter": 1, "drop": 2}


async def policy_of(session: AsyncSession, account_id: int) -> NotificationPolicy:
    """The account's policy (Mastodon's defaults when it never changed it)."""
    found = await session.get(NotificationPolicy, account_id)
    return found or NotificationPolicy(
        account_id=account_id,
        for_not_following="accept",
        for_not_followers="accept",
        for_new_accounts="accept",
        for_private_mentions="filter",
        for_limited_accounts="filter",
    )


async def _policy_verdict(
    session: AsyncSession, type_: str, recipient_id: int, from_account_id: int, status_id: int | None
) -> str:
    """accept, filter or drop: the strictest answer of the policy rules the sender falls under.
    Accounts the recipient follows, or accepted before, always get through."""
    if type_ not in FILTERABLE_TYPES or recipient_id == from_account_id:
        return "accept"
    policy = await policy_of(session, recipient_id)
    if all(
        getattr(policy, name) == "accept"
        for name in ("for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions")
    ):
        return "accept"
    follows_them, followed_by_them, permitted, sender_created = (
        await session.execute(
            select(
                exists(
                    select(Follow.id).where(
                        Follow.account_id == recipient_id, Follow.target_account_id == from_account_id
                    )
                ),
                exists(
                    select(Follow.id).where(
                        Follow.account_id == from_account_id, Follow.target_account_id == recipient_id
                    )
                ),
                exists(
                    select(NotificationPermission.id).where(
                        NotificationPermission.account_id == recipient_id,
                        NotificationPermission.from_account_id == from_account_id,
                    )
                ),
                select(Account.created_at).where(Account.id == from_account_id).scalar_subquery(),
            )
        )
    ).one()
    if follows_them or permitted:
        return "accept"
    answers = [policy.for_not_following]
    if not followed_by_them:
        answers.append(policy.for_not_followers)
    if sender_created is not None and sender_created > utcnow() - timedelta(days=NEW_ACCOUNT_DAYS):
        answers.append(policy.for_new_accounts)
    if (
        type_ == "mention"
        and status_id is not None
        and await _unsolicited_private_mention(session, status_id, recipient_id)
    ):
        answers.append(policy.for_private_mentions)
    return max(answers, key=_STRICTNESS.__getitem__)


async def _unsolicited_private_mention(session: AsyncSession, status_id: int, recipient_id: int) -> bool:
    """A direct post that does not answer one of the recipient's own posts."""
    status = await session.get(Status, status_id)
    return (
        status is not None and status.visibility == "direct" and status.in_reply_to_account_id != recipient_id
    )


async def _file_request(
    session: AsyncSession, recipient_id: int, from_account_id: int, status_id: int | None
) -> None:
    found = await session.scalar(
        select(NotificationRequest).where(
            NotificationRequest.account_id == recipient_id,
            NotificationRequest.from_account_id == from_account_id,
        )
    )
    if found is None:
        found = NotificationRequest(
            account_id=recipient_id, from_account_id=from_account_id, notifications_count=0
        )
        session.add(found)
    found.notifications_count = (found.notifications_count or 0) + 1
    found.updated_at = utcnow()
    if status_id is not None:
        found.last_status_id = status_id
    await session.flush()


async def notify(
    session: AsyncSession,
    type_: str,
    *,
    recipient_id: int,
    from_account_id: int,
    status_id: int | None = None,
) -> Notification | None:
    """Notifies ``recipient_id`` of what ``from_account_id`` did, inside the caller's transaction.

    Answers the notification, or None where none is due (oneself, a block or a mute between the
    two, a suspended recipient, a post the recipient may not see).
    """
    if type_ not in TYPES:
        raise ValueError(f"unknown notification type {type_!r}")
    if recipient_id == from_account_id and type_ != "poll":
        return None
    refused = await session.scalar(
        select(
            or_(
                ~exists(select(Account.id).where(Account.id == recipient_id, Account.suspended_at.is_(None))),
                blocked_between(recipient_id, from_account_id),
                active_mute(recipient_id, from_account_id, notifications=True),
            )
        )
    )
    if refused:
        return None
    if status_id is not None:
        # The post must be one the recipient may see, in a thread the recipient has not muted.
        thread_muted = exists(
            select(ConversationMute.id).where(
                ConversationMute.account_id == recipient_id,
                ConversationMute.conversation_id == func.coalesce(Status.conversation_id, Status.id),
            )
        )
        seen = await session.scalar(
            select(Status.id).where(Status.id == status_id, visible_to(recipient_id), ~thread_muted)
        )
        if seen is None:
            return None
    verdict = await _policy_verdict(session, type_, recipient_id, from_account_id, status_id)
    if verdict == "drop":
        return None
    filtered = verdict == "filter"
    notification_id = new_id()
    key = await _group_key(session, type_, recipient_id, status_id)
    notification = Notification(
        id=notification_id,
        account_id=recipient_id,
        from_account_id=from_account_id,
        type=type_,
        status_id=status_id,
        group_key=key or f"ungrouped-{notification_id}",
        filtered=filtered,
    )
    session.add(notification)
    if filtered:
        await _file_request(session, recipient_id, from_account_id, status_id)
    record(
        session,
        events.NotificationCreated(
            notification_id=notification_id,
            account_id=recipient_id,
            from_account_id=from_account_id,
            notification_type=type_,
            status_id=status_id,
            filtered=filtered,
        ),
    )
    return notification


async def withdraw(
    session: AsyncSession,
    type_: str,
    *,
    recipient_id: int,
    from_account_id: int,
    status_id: int | None = None,
) -> None:
    """Removes the notifications of something taken back (an unfavourite, an unfollow, ...)."""
    query = delete(Notification).where(
        Notification.account_id == recipient_id,
        Notification.from_account_id == from_account_id,
        Notification.type == type_,
    )
    if status_id is not None:
        query = query.where(Notification.status_id == status_id)
    await session.execute(query)
