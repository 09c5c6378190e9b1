"""Pinned statuses: up to a few of one's own posts shown first on one's profile."""

from __future__ import annotations

from sqlalchemy import delete as delete_rows
from sqlalchemy import (
    select,
)
from sqlalchemy.exc import IntegrityError

from pixie.errors import Invalid
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.reactions import StatusPin
from pixie.services import events, statuses
from pixie.services.status_views import (
    StatusView,
    visible_status,
)

MAX_PINNED_STATUSES = 5


async def pin(rt: Runtime, account_id: int, status_id: int, *, on: bool = True) -> StatusView:
    """Features one of the account's own posts on its profile (at most ``MAX_PINNED_STATUSES``),
    or takes it off; idempotent. Errors are Mastodon's 422s."""
    try:
        async with rt.write() as session:
            status = await visible_status(session, status_id, account_id)
            if on:
                if status.reblog_of_id is not None:
                    raise Invalid("Validation failed: A boost cannot be pinned")
                if status.account_id != account_id:
                    raise Invalid("Validation failed: Someone else's post cannot be pinned")
                if status.visibility == "direct":
                    raise Invalid(
                        "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
                    )
                # The account's row is locked while pins are counted (PostgreSQL), so two pins at
                # once cannot pass the limit together.
                await session.scalar(select(Account.id).where(Account.id == account_id).with_for_update())
                pins = list(
                    await session.scalars(
                        select(StatusPin.status_id).where(StatusPin.account_id == account_id)
                    )
                )
                if status.id not in pins:
                    if len(pins) >= MAX_PINNED_STATUSES:
                        raise Invalid(
                            "Validation failed: You have already pinned the maximum number of posts"
                        )
                    session.add(StatusPin(account_id=account_id, status_id=status.id))
                    await session.flush()
                    record(session, events.StatusPinned(status_id=status.id, account_id=account_id))
            else:
                removed = await session.execute(
                    delete_rows(StatusPin).where(
                        StatusPin.account_id == account_id, StatusPin.status_id == status.id
                    )
                )
                if removed.rowcount:  # type: ignore[attr-defined]
                    record(session, events.StatusUnpinned(status_id=status.id, account_id=account_id))
    except IntegrityError:
        pass  # the same pin twice at once: the first one stands
    return await statuses.get(rt, status_id, account_id)
