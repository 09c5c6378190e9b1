"""Facts about this instance that its public endpoints report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.services.accounts import count_users


@dataclass(frozen=True)
class InstanceStats:
    user_count: int
    active_month: int
    active_halfyear: int
    status_count: int
    contact: Account | None


async def stats(rt: Runtime) -> InstanceStats:
    async with rt.db.read() as session:
        contact = await session.scalar(
            select(Account)
            .join(User, User.account_id == Account.id)
            .where(User.admin.is_(True), Account.suspended_at.is_(None))
            .order_by(Account.id)
            .limit(1)
        )
    return InstanceStats(
        user_count=await count_users(rt),
        active_month=await count_users(rt, active_since_days=30),
        active_halfyear=await count_users(rt, active_since_days=180),
        status_count=0,  # posts arrive with the social core
        contact=contact,
    )
