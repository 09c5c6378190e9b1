"""Who to follow: accounts followed by the people one follows (the more of them, the higher),
then accounts many people follow. Only discoverable, active accounts; never oneself, anyone one
follows or asked to follow, blocks either way, or mutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.follows import Follow, FollowRequest
from pixie.services.visibility import active_mute, blocked_between

MAX_LIMIT = 80


@dataclass(frozen=True)
class Suggestion:
    account: Account
    sources: tuple[str, ...]  # Mastodon's: "friends_of_friends", "global"


def _suggestible(viewer_id: int) -> list[object]:
    followed = select(Follow.target_account_id).where(Follow.account_id == viewer_id)
    requested = select(FollowRequest.target_account_id).where(FollowRequest.account_id == viewer_id)
    return [
        Account.id != viewer_id,
        Account.discoverable.is_(True),
        Account.suspended_at.is_(None),
        Account.id.not_in(followed),
        Account.id.not_in(requested),
        ~blocked_between(viewer_id, Account.id),
        ~active_mute(viewer_id, Account.id),
    ]


async def for_account(rt: Runtime, viewer_id: int, *, limit: int = 40) -> list[Suggestion]:
    limit = min(max(limit, 1), MAX_LIMIT)
    mine = aliased(Follow)
    theirs = aliased(Follow)
    friends = (
        select(Account, func.count(theirs.id).label("n"))
        .join(theirs, theirs.target_account_id == Account.id)
        .join(mine, (mine.target_account_id == theirs.account_id) & (mine.account_id == viewer_id))
        .where(*_suggestible(viewer_id))  # type: ignore[arg-type]
        .group_by(Account.id)
        .order_by(func.count(theirs.id).desc(), Account.id.desc())
        .limit(limit)
    )
    async with rt.db.read() as session:
        found = [Suggestion(a, ("friends_of_friends",)) for a, _ in (await session.execute(friends)).all()]
        if len(found) < limit:
            taken = [s.account.id for s in found]
            popular = (
                select(Account)
                .where(*_suggestible(viewer_id), Account.id.not_in(taken), Account.statuses_count > 0)  # type: ignore[arg-type]
                .order_by(Account.followers_count.desc(), Account.last_status_at.desc(), Account.id.desc())
                .limit(limit - len(found))
            )
            found += [Suggestion(a, ("global",)) for a in await session.scalars(popular)]
    return found
