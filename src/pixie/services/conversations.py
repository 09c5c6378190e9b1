"""Direct messages: posts with ``direct`` visibility, gathered per participant into conversations
(Mastodon's ``/api/v1/conversations``), each with its own unread state.

A conversation is a thread as one participant sees it, with the same others in it: a direct post
updates the row of its author (read) and of every account it mentions (unread). Who may send an
account direct messages is the account's choice: everyone, only those it follows, or nobody; a
post to someone who refuses it is refused whole, before anything is written.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.idlist import one_of
from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.conversations import AccountConversation
from pixie.models.follows import Follow
from pixie.models.statuses import Status
from pixie.services import events
from pixie.services.paging import Paging
from pixie.services.status_views import StatusView, views_by_id
from pixie.services.visibility import visible_to

MAX_PAGE = 40
_REFUSALS = {
    "following": "@{name} accepts direct messages only from people they follow",
    "nobody": "@{name} does not accept direct messages",
}


async def check_recipients(session: AsyncSession, sender_id: int, recipient_ids: Collection[int]) -> None:
    """Refuses (422, naming the recipient and their choice) a direct message to anyone whose
    setting does not let the sender write to them."""
    others = [r for r in recipient_ids if r != sender_id]
    if not others:
        return
    rows = await session.execute(
        select(Account.id, Account.username, User.direct_messages)
        .join(User, User.account_id == Account.id)
        .where(one_of(Account.id, others), User.direct_messages != "everyone")
    )
    choosy = {account_id: (name, policy) for account_id, name, policy in rows}
    if not choosy:
        return
    followers_of_sender = set(
        await session.scalars(
            select(Follow.account_id).where(
                Follow.target_account_id == sender_id, one_of(Follow.account_id, list(choosy))
            )
        )
    )
    for account_id in others:
        if account_id not in choosy:
            continue
        name, policy = choosy[account_id]
        if policy == "nobody" or account_id not in followers_of_sender:
            raise Invalid(_REFUSALS[policy].format(name=name))


def _key(participant_ids: list[int]) -> str:
    return ",".join(str(i) for i in participant_ids)


async def add_message(session: AsyncSession, status: Status, recipient_ids: Collection[int]) -> None:
    """Files a new direct post into the conversation of its author and of each recipient, in the
    post's own transaction, and records who should hear of it live."""
    everyone = sorted({status.account_id, *recipient_ids})
    thread = status.conversation_id or status.id
    now = utcnow()
    accounts: list[int] = []
    rows: list[int] = []
    for account_id in everyone:
        others = [a for a in everyone if a != account_id]
        key = _key(others)
        found = await session.scalar(
            select(AccountConversation).where(
                AccountConversation.account_id == account_id,
                AccountConversation.conversation_id == thread,
                AccountConversation.participants_key == key,
            )
        )
        if found is None:
            found = AccountConversation(
                account_id=account_id, conversation_id=thread, participant_ids=others, participants_key=key
            )
            session.add(found)
        found.last_status_id = status.id
        found.unread = account_id != status.account_id
        found.updated_at = now
        await session.flush()
        accounts.append(account_id)
        rows.append(found.id)
    record(
        session, events.ConversationUpdated(status_id=status.id, account_ids=accounts, conversation_ids=rows)
    )


async def message_deleted(session: AsyncSession, status: Status) -> None:
    """A deleted direct post leaves its conversations pointing at the message before it, or
    takes them away when it was the only one."""
    for found in list(
        await session.scalars(
            select(AccountConversation).where(AccountConversation.last_status_id == status.id)
        )
    ):
        previous = await session.scalar(
            select(func.max(Status.id)).where(
                Status.conversation_id == found.conversation_id,
                Status.visibility == "direct",
                Status.id != status.id,
                visible_to(found.account_id),
            )
        )
        if previous is None:
            await session.delete(found)
        else:
            found.last_status_id = previous


@dataclass(frozen=True)
class ConversationView:
    conversation: AccountConversation
    accounts: list[Account]  # the others, as the participant sees them
    last_status: StatusView | None


async def _views(
    session: AsyncSession, found: list[AccountConversation], viewer_id: int
) -> list[ConversationView]:
    wanted = {i for c in found for i in c.participant_ids}
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(one_of(Account.id, wanted), Account.suspended_at.is_(None))
        )
    }
    statuses = await views_by_id(session, [c.last_status_id for c in found], viewer_id)
    return [
        ConversationView(
            c, [accounts[i] for i in c.participant_ids if i in accounts], statuses.get(c.last_status_id)
        )
        for c in found
    ]


async def page(rt: Runtime, account_id: int, paging: Paging) -> list[ConversationView]:
    """The account's conversations, the one with the newest message first (paged by it)."""
    query = select(AccountConversation).where(AccountConversation.account_id == account_id)
    async with rt.db.read() as session:
        found = list(
            await session.scalars(paging.apply(query, AccountConversation.last_status_id, most=MAX_PAGE))
        )
        return await _views(session, paging.newest_first(found), account_id)


async def get(rt: Runtime, account_id: int, conversation_id: int) -> ConversationView:
    async with rt.db.read() as session:
        found = await _own(session, account_id, conversation_id)
        return (await _views(session, [found], account_id))[0]


async def _own(session: AsyncSession, account_id: int, conversation_id: int) -> AccountConversation:
    found = await session.scalar(
        select(AccountConversation).where(
            AccountConversation.id == conversation_id, AccountConversation.account_id == account_id
        )
    )
    if found is None:
        raise NotFound()
    return found


async def mark_read(rt: Runtime, account_id: int, conversation_id: int) -> ConversationView:
    async with rt.write() as session:
        await _own(session, account_id, conversation_id)
        await session.execute(
            update(AccountConversation).where(AccountConversation.id == conversation_id).values(unread=False)
        )
    return await get(rt, account_id, conversation_id)


async def remove(rt: Runtime, account_id: int, conversation_id: int) -> None:
    """Takes the conversation off the account's list (a new message brings it back)."""
    async with rt.write() as session:
        await _own(session, account_id, conversation_id)
        await session.execute(delete(AccountConversation).where(AccountConversation.id == conversation_id))
