"""The notification policy (Mastodon 4.3) and the requests it makes: notifications it held back,
per sender, until the recipient accepts them (they join the notifications, and that sender is
let through from then on) or dismisses them (they are gone)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.idlist import one_of
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.notifications import (
    POLICY_VALUES,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from pixie.services import events
from pixie.services.notifying import policy_of
from pixie.services.paging import Paging
from pixie.services.status_views import StatusView, views_by_id

POLICY_FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
MAX_PAGE = 80
MAX_BATCH = 100


@dataclass(frozen=True)
class PolicyView:
    policy: NotificationPolicy
    pending_requests: int
    pending_notifications: int


async def _summary(session: AsyncSession, account_id: int) -> PolicyView:
    requests, notes = (
        await session.execute(
            select(
                func.count(NotificationRequest.id),
                func.coalesce(func.sum(NotificationRequest.notifications_count), 0),
            ).where(NotificationRequest.account_id == account_id)
        )
    ).one()
    return PolicyView(await policy_of(session, account_id), int(requests), int(notes))


async def policy(rt: Runtime, account_id: int) -> PolicyView:
    async with rt.db.read() as session:
        return await _summary(session, account_id)


async def update_policy(rt: Runtime, account_id: int, changes: dict[str, str | None]) -> PolicyView:
    """Sets the named rules (each accept, filter or drop); the others stay as they are."""
    for name, value in changes.items():
        if value is not None and value not in POLICY_VALUES:
            raise Invalid(
                f"Validation failed: {name.replace('_', ' ').capitalize()} is not included in the list"
            )
    async with rt.write() as session:
        found = await session.get(NotificationPolicy, account_id)
        if found is None:
            found = await policy_of(session, account_id)
            session.add(found)
        for name, value in changes.items():
            if value is not None and name in POLICY_FIELDS:
                setattr(found, name, value)
    return await policy(rt, account_id)


@dataclass(frozen=True)
class RequestView:
    request: NotificationRequest
    account: Account
    last_status: StatusView | None


async def _views(
    session: AsyncSession, found: list[NotificationRequest], viewer_id: int
) -> list[RequestView]:
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(
                one_of(Account.id, {r.from_account_id for r in found}), Account.suspended_at.is_(None)
            )
        )
    }
    statuses = await views_by_id(
        session, [r.last_status_id for r in found if r.last_status_id is not None], viewer_id
    )
    return [
        RequestView(
            r, accounts[r.from_account_id], statuses.get(r.last_status_id) if r.last_status_id else None
        )
        for r in found
        if r.from_account_id in accounts
    ]


async def page(rt: Runtime, account_id: int, paging: Paging) -> list[RequestView]:
    query = select(NotificationRequest).where(NotificationRequest.account_id == account_id)
    async with rt.db.read() as session:
        found = list(await session.scalars(paging.apply(query, NotificationRequest.id, most=MAX_PAGE)))
        return await _views(session, paging.newest_first(found), account_id)


async def _own(
    session: AsyncSession, account_id: int, request_ids: Collection[int]
) -> list[NotificationRequest]:
    return list(
        await session.scalars(
            select(NotificationRequest).where(
                NotificationRequest.account_id == account_id, one_of(NotificationRequest.id, request_ids)
            )
        )
    )


async def get(rt: Runtime, account_id: int, request_id: int) -> RequestView:
    async with rt.db.read() as session:
        found = await _own(session, account_id, [request_id])
        views = await _views(session, found, account_id)
    if not views:
        raise NotFound()
    return views[0]


async def accept(rt: Runtime, account_id: int, request_ids: Collection[int], *, one: bool = False) -> None:
    """The requests' notifications join the recipient's, and their senders are let through from
    now on. ``one``: a single request named by the path, 404 when it is not the caller's."""
    with contextlib.suppress(IntegrityError):  # accepted twice at once: the first one stands
        await _accept(rt, account_id, request_ids, one=one)


async def _accept(rt: Runtime, account_id: int, request_ids: Collection[int], *, one: bool) -> None:
    async with rt.write() as session:
        found = await _own(session, account_id, list(request_ids)[:MAX_BATCH])
        if one and not found:
            raise NotFound()
        senders = [r.from_account_id for r in found]
        if not senders:
            return
        await session.execute(
            update(Notification)
            .where(Notification.account_id == account_id, one_of(Notification.from_account_id, senders))
            .values(filtered=False)
        )
        for sender in senders:
            exists_already = await session.scalar(
                select(NotificationPermission.id).where(
                    NotificationPermission.account_id == account_id,
                    NotificationPermission.from_account_id == sender,
                )
            )
            if exists_already is None:
                session.add(NotificationPermission(account_id=account_id, from_account_id=sender))
        await session.execute(
            delete(NotificationRequest).where(one_of(NotificationRequest.id, [r.id for r in found]))
        )
        record(session, events.NotificationsMerged(account_id=account_id))


async def dismiss(rt: Runtime, account_id: int, request_ids: Collection[int], *, one: bool = False) -> None:
    """The requests and the notifications they held are removed."""
    async with rt.write() as session:
        found = await _own(session, account_id, list(request_ids)[:MAX_BATCH])
        if one and not found:
            raise NotFound()
        senders = [r.from_account_id for r in found]
        if not senders:
            return
        await session.execute(
            delete(Notification).where(
                Notification.account_id == account_id,
                one_of(Notification.from_account_id, senders),
                Notification.filtered.is_(True),
            )
        )
        await session.execute(
            delete(NotificationRequest).where(one_of(NotificationRequest.id, [r.id for r in found]))
        )
