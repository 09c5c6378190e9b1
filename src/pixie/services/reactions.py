"""Favourites and bookmarks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete as delete_rows
from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pixie.infra.outbox import DomainEvent, record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.reactions import Bookmark, Favourite
from pixie.models.statuses import Status
from pixie.services import events, notifying, public_timelines, statuses
from pixie.services.paging import Paging
from pixie.services.status_views import (
    StatusView,
    original_of,
    views_of,
    visible_status,
)
from pixie.services.visibility import blocked_between, visible_to


async def _react(
    rt: Runtime, model: type[Favourite] | type[Bookmark], account_id: int, status_id: int, on: bool
) -> StatusView:
    """Favourites (or bookmarks) a status the account may see, or takes that back; idempotent."""
    try:
        async with rt.write() as session:
            status = await visible_status(session, status_id, account_id)
            # Favouriting (or bookmarking) a reblog is favouriting its original, as on Mastodon.
            target = await original_of(session, status)
            existing = await session.scalar(
                select(model.id).where(model.account_id == account_id, model.status_id == target.id)
            )
            changed = False
            if on and existing is None:
                session.add(model(account_id=account_id, status_id=target.id))
                await session.flush()
                changed = True
            elif not on and existing is not None:
                await session.execute(delete_rows(model).where(model.id == existing))
                changed = True
            if changed and model is Favourite:
                counter = update(Status).where(Status.id == target.id)
                if not on:
                    counter = counter.where(Status.favourites_count > 0)
                await session.execute(
                    counter.values(favourites_count=Status.favourites_count + (1 if on else -1))
                )
                if on:
                    await notifying.notify(
                        session,
                        "favourite",
                        recipient_id=target.account_id,
                        from_account_id=account_id,
                        status_id=target.id,
                    )
                else:
                    await notifying.withdraw(
                        session,
                        "favourite",
                        recipient_id=target.account_id,
                        from_account_id=account_id,
                        status_id=target.id,
                    )
                event: DomainEvent = (
                    events.FavouriteCreated(
                        account_id=account_id, status_id=target.id, author_id=target.account_id
                    )
                    if on
                    else events.FavouriteRemoved(account_id=account_id, status_id=target.id)
                )
                record(session, event)
    except IntegrityError:
        pass  # the same request twice at once: the first one stands
    return await statuses.get(rt, status_id, account_id)


async def favourite(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    return await _react(rt, Favourite, account_id, status_id, on)


async def bookmark(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    return await _react(rt, Bookmark, account_id, status_id, on)


@dataclass(frozen=True)
class ReactionPage:
    views: list[StatusView]
    cursors: list[int]  # the favourite (or bookmark) ids, for paging


async def favourites(rt: Runtime, account_id: int, paging: Paging) -> ReactionPage:
    return await _reacted(rt, Favourite, account_id, paging)


async def bookmarks(rt: Runtime, account_id: int, paging: Paging) -> ReactionPage:
    return await _reacted(rt, Bookmark, account_id, paging)


async def _reacted(
    rt: Runtime, model: type[Favourite] | type[Bookmark], account_id: int, paging: Paging
) -> ReactionPage:
    """The account's own favourites (or bookmarks) that it may still see, newest first."""
    query = (
        select(model.id, Status)
        .join(Status, Status.id == model.status_id)
        .where(model.account_id == account_id, visible_to(account_id))
    )
    async with rt.db.read() as session:
        rows = paging.newest_first(
            list(
                (
                    await session.execute(
                        paging.apply(query, model.id, most=public_timelines.MAX_TIMELINE_PAGE)
                    )
                ).all()
            )
        )
        views = await views_of(session, [row[1] for row in rows], account_id)
    return ReactionPage(views, [row[0] for row in rows])


async def favourited_by(
    rt: Runtime, status_id: int, viewer_id: int | None, paging: Paging
) -> tuple[list[Account], list[int]]:
    """Who favourited a status the viewer may see."""
    await statuses.get(rt, status_id, viewer_id)
    query = (
        select(Favourite.id, Account)
        .join(Account, Account.id == Favourite.account_id)
        .where(Favourite.status_id == status_id, Account.suspended_at.is_(None))
    )
    if viewer_id is not None:
        query = query.where(~blocked_between(viewer_id, Account.id))
    async with rt.db.read() as session:
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, Favourite.id, most=80))).all())
        )
    return [row[1] for row in rows], [row[0] for row in rows]
