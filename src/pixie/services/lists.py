"""Lists: an account's named sets of the accounts it follows, each with its own timeline.

Only the owner sees a list; anyone else's list is not found. Only followed accounts may join
one, and an account leaves every list of an owner who stops following it (or blocks it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.lists import REPLIES_POLICIES, List, ListAccount
from pixie.models.statuses import Status
from pixie.services import events
from pixie.services.follows import Page, account_page, visible_account
from pixie.services.paging import Paging
from pixie.services.public_timelines import TimelineQuery, timeline_page
from pixie.services.status_views import StatusView
from pixie.services.visibility import not_muted, visible_to

MAX_TITLE = 256
MAX_LISTS = 100
MAX_MEMBERS_AT_ONCE = 1000


def _check(title: str | None, replies_policy: str | None) -> None:
    if title is not None and not title.strip():
        raise Invalid("Validation failed: Title can't be blank")
    if title is not None and len(title) > MAX_TITLE:
        raise Invalid(f"Validation failed: Title is too long (maximum is {MAX_TITLE} characters)")
    if replies_policy is not None and replies_policy not in REPLIES_POLICIES:
        raise Invalid("Validation failed: Replies policy is not one of followed, list, none")


async def _owned(session: AsyncSession, owner_id: int, list_id: int) -> List:
    found = await session.scalar(select(List).where(List.id == list_id, List.account_id == owner_id))
    if found is None:
        raise NotFound()
    return found


async def all_of(rt: Runtime, owner_id: int) -> list[List]:
    async with rt.db.read() as session:
        return list(await session.scalars(select(List).where(List.account_id == owner_id).order_by(List.id)))


async def get(rt: Runtime, owner_id: int, list_id: int) -> List:
    async with rt.db.read() as session:
        return await _owned(session, owner_id, list_id)


async def create(
    rt: Runtime, owner_id: int, *, title: str | None, replies_policy: str | None, exclusive: bool | None
) -> List:
    _check(title or "", replies_policy)
    async with rt.write() as session:
        count = await session.scalar(
            select(func.count()).select_from(List).where(List.account_id == owner_id)
        )
        if (count or 0) >= MAX_LISTS:
            raise Invalid(f"Validation failed: You cannot have more than {MAX_LISTS} lists")
        made = List(
            account_id=owner_id,
            title=(title or "").strip(),
            replies_policy=replies_policy or "list",
            exclusive=bool(exclusive),
        )
        session.add(made)
        await session.flush()
        return made


async def update(
    rt: Runtime,
    owner_id: int,
    list_id: int,
    *,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> List:
    _check(title, replies_policy)
    async with rt.write() as session:
        found = await _owned(session, owner_id, list_id)
        if title is not None:
            found.title = title.strip()
        if replies_policy is not None:
            found.replies_policy = replies_policy
        if exclusive is not None:
            found.exclusive = exclusive
        await session.flush()
        return found


async def remove(rt: Runtime, owner_id: int, list_id: int) -> None:
    async with rt.write() as session:
        found = await _owned(session, owner_id, list_id)
        await session.execute(delete(ListAccount).where(ListAccount.list_id == found.id))
        await session.delete(found)
        record(session, events.ListDeleted(list_id=list_id, account_id=owner_id))


async def members(rt: Runtime, owner_id: int, list_id: int, paging: Paging | None) -> Page:
    """The list's accounts, the latest added first; all of them when ``paging`` is None."""
    async with rt.db.read() as session:
        await _owned(session, owner_id, list_id)
    query = (
        select(ListAccount.id, Account)
        .join(Account, Account.id == ListAccount.account_id)
        .where(ListAccount.list_id == list_id, Account.suspended_at.is_(None))
    )
    if paging is None:
        async with rt.db.read() as session:
            rows = list(
                await session.execute(query.order_by(ListAccount.id.desc()).limit(MAX_MEMBERS_AT_ONCE))
            )
        return Page([r[1] for r in rows], [r[0] for r in rows])
    return await account_page(rt, query, ListAccount.id, paging)


async def add(rt: Runtime, owner_id: int, list_id: int, account_ids: list[int]) -> None:
    """Adds accounts the owner follows; one it does not follow is not found, as on Mastodon."""
    wanted = list(dict.fromkeys(account_ids))
    async with rt.write() as session:
        await _owned(session, owner_id, list_id)
        followed = set(
            await session.scalars(
                select(Follow.target_account_id).where(
                    Follow.account_id == owner_id, Follow.target_account_id.in_(wanted)
                )
            )
        )
        for account_id in wanted:
            await visible_account(session, account_id)
            if account_id not in followed:
                raise NotFound()
        present = set(
            await session.scalars(
                select(ListAccount.account_id).where(
                    ListAccount.list_id == list_id, ListAccount.account_id.in_(wanted)
                )
            )
        )
        if present:
            raise Invalid("Validation failed: Account has already been taken")
        for account_id in wanted:
            session.add(ListAccount(list_id=list_id, account_id=account_id))
        if wanted:
            record(
                session,
                events.ListMembersChanged(list_id=list_id, account_id=owner_id, added=wanted, removed=[]),
            )


async def remove_members(rt: Runtime, owner_id: int, list_id: int, account_ids: list[int]) -> None:
    async with rt.write() as session:
        await _owned(session, owner_id, list_id)
        removed = await session.execute(
            delete(ListAccount).where(ListAccount.list_id == list_id, ListAccount.account_id.in_(account_ids))
        )
        if removed.rowcount:  # type: ignore[attr-defined]
            record(
                session,
                events.ListMembersChanged(
                    list_id=list_id, account_id=owner_id, added=[], removed=account_ids
                ),
            )


async def containing(rt: Runtime, owner_id: int, account_id: int) -> list[List]:
    """The owner's lists that hold an account."""
    async with rt.db.read() as session:
        await visible_account(session, account_id)
        return list(
            await session.scalars(
                select(List)
                .join(ListAccount, ListAccount.list_id == List.id)
                .where(List.account_id == owner_id, ListAccount.account_id == account_id)
                .order_by(List.id)
            )
        )


def _replies(found: List) -> Any:
    """Which replies the list shows: always a member's replies to itself and to the list's owner;
    to others as its replies policy says (anyone the owner follows, members, or nobody)."""
    shown = [
        Status.in_reply_to_id.is_(None),
        Status.in_reply_to_account_id == Status.account_id,
        Status.in_reply_to_account_id == found.account_id,
    ]
    if found.replies_policy == "followed":
        shown.append(
            exists(
                select(Follow.id).where(
                    Follow.account_id == found.account_id,
                    Follow.target_account_id == Status.in_reply_to_account_id,
                )
            )
        )
    elif found.replies_policy == "list":
        shown.append(
            exists(
                select(ListAccount.id).where(
                    ListAccount.list_id == found.id, ListAccount.account_id == Status.in_reply_to_account_id
                )
            )
        )
    return or_(*shown)


async def timeline(rt: Runtime, owner_id: int, list_id: int, paging: Paging) -> list[StatusView]:
    """The members' posts that the owner may see, newest first."""
    async with rt.db.read() as session:
        found = await _owned(session, owner_id, list_id)
    return await timeline_page(
        rt, TimelineQuery(select(Status).where(list_rule(found))), paging, owner_id, "home"
    )


def list_rule(found: List) -> Any:
    """A SQL condition on Status: the posts of the list's timeline (its live stream asks it too)."""
    members_ = select(ListAccount.account_id).where(ListAccount.list_id == found.id)
    return and_(
        Status.account_id.in_(members_),
        visible_to(found.account_id),
        not_muted(found.account_id),
        _replies(found),
    )
