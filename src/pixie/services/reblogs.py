"""Reblogs: a status of its own whose original is another's post."""

from __future__ import annotations

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.statuses import Status
from pixie.services import events, notifying, statuses
from pixie.services.paging import Paging
from pixie.services.status_views import (
    StatusView,
    original_of,
    visible_status,
)
from pixie.services.visibility import visible_to

REBLOG_VISIBILITIES = ("public", "unlisted", "private")


async def reblog(
    rt: Runtime, account_id: int, status_id: int, *, visibility: str | None = None
) -> StatusView:
    """Reblogs a status the account may see (the original, when given a reblog); reblogging again
    answers the existing reblog. Direct posts, and other people's followers-only posts, may not be
    reblogged (403, as on Mastodon); one's own followers-only post may, and its reblog stays
    followers-only."""
    if visibility is not None and visibility not in REBLOG_VISIBILITIES:
        raise Invalid("Validation failed: Visibility must be public, unlisted or private")
    try:
        async with rt.write() as session:
            original = await original_of(session, await visible_status(session, status_id, account_id))
            if original.visibility == "direct" or (
                original.visibility == "private" and original.account_id != account_id
            ):
                raise Forbidden("This action is not allowed")
            existing = await session.scalar(
                select(Status.id).where(Status.account_id == account_id, Status.reblog_of_id == original.id)
            )
            if existing is None:
                user = await session.scalar(select(User).where(User.account_id == account_id))
                default = user.default_visibility if user else "public"
                chosen = (
                    original.visibility
                    if original.visibility == "private"
                    else visibility or (default if default in REBLOG_VISIBILITIES else "private")
                )
                wrapper = Status(account_id=account_id, reblog_of_id=original.id, visibility=chosen)
                session.add(wrapper)
                await session.flush()
                existing = wrapper.id
                await session.execute(
                    update(Account)
                    .where(Account.id == account_id)
                    .values(statuses_count=Account.statuses_count + 1, last_status_at=utcnow())
                )
                await session.execute(
                    update(Status)
                    .where(Status.id == original.id)
                    .values(reblogs_count=Status.reblogs_count + 1)
                )
                await notifying.notify(
                    session,
                    "reblog",
                    recipient_id=original.account_id,
                    from_account_id=account_id,
                    status_id=original.id,
                )
                record(
                    session,
                    events.StatusReblogged(
                        status_id=wrapper.id,
                        account_id=account_id,
                        reblog_of_id=original.id,
                        author_id=original.account_id,
                        visibility=chosen,
                    ),
                )
    except IntegrityError:
        # The same reblog twice at once: the first one stands.
        async with rt.db.read() as session:
            original = await original_of(session, await visible_status(session, status_id, account_id))
            existing = await session.scalar(
                select(Status.id).where(Status.account_id == account_id, Status.reblog_of_id == original.id)
            )
        if existing is None:
            raise
    return await statuses.get(rt, existing, account_id)


async def unreblog(rt: Runtime, account_id: int, status_id: int) -> StatusView:
    """Takes the account's reblog of a status back (nothing happens when there is none); answers
    the original as the account now sees it."""
    async with rt.write() as session:
        given = await session.get(Status, status_id)
        original_id = given.reblog_of_id if given is not None and given.reblog_of_id else status_id
        wrapper = await session.scalar(
            select(Status).where(Status.account_id == account_id, Status.reblog_of_id == original_id)
        )
        if wrapper is not None:
            await statuses.remove_reblog(session, wrapper)
    return await statuses.get(rt, original_id, account_id)


async def reblogged_by(
    rt: Runtime, status_id: int, viewer_id: int | None, paging: Paging
) -> tuple[list[Account], list[int]]:
    """Who reblogged a status the viewer may see, as far as the viewer may see those reblogs; the
    reblogs' ids are the cursors."""
    async with rt.db.read() as session:
        original = await original_of(session, await visible_status(session, status_id, viewer_id))
        query = (
            select(Status.id, Account)
            .join(Account, Account.id == Status.account_id)
            .where(Status.reblog_of_id == original.id, visible_to(viewer_id))
        )
        rows = paging.newest_first(
            list((await session.execute(paging.apply(query, Status.id, most=80))).all())
        )
    return [row[1] for row in rows], [row[0] for row in rows]
