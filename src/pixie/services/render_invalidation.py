"""Keeps the render cache true: every domain event that changes what a kept rendering shows moves
that status or account to a new version (``infra.render_cache``), once, for every process.

A status's rendering shows its text, edits, counters (replies, reblogs, favourites, remixes) and
media; an account's shows its profile and counters. What depends on the reader (marks, polls,
filters, who may see it) is never kept, so follows, blocks and mutes change nothing here.
"""

from __future__ import annotations

from pixie.infra.outbox import Delivery, DomainEvent
from pixie.infra.runtime import Runtime
from pixie.services import events


def status_name(status_id: int) -> str:
    return f"s:{status_id}"


def account_name(account_id: int) -> str:
    return f"a:{account_id}"


def changed_by(event: object) -> list[str]:
    """The renderings an event makes stale."""
    match event:
        case events.StatusCreated():
            # The author's post count; a reply's parent (replies), a remix's original (remixes).
            parents = [i for i in (event.in_reply_to_id, event.remix_of_id) if i is not None]
            return [account_name(event.account_id), *map(status_name, parents)]
        case events.StatusDeleted():
            names = [status_name(event.status_id), account_name(event.account_id)]
            if event.in_reply_to_id is not None:
                names.append(status_name(event.in_reply_to_id))
            return names
        case events.StatusUpdated() | events.PollVoted() | events.PollEnded():
            return [status_name(event.status_id)]
        case events.StatusReblogged() | events.StatusUnreblogged():
            return [status_name(event.reblog_of_id), account_name(event.account_id)]
        case events.FavouriteCreated() | events.FavouriteRemoved():
            return [status_name(event.status_id)]
        case events.FollowCreated() | events.FollowRemoved():
            return [account_name(event.account_id), account_name(event.target_account_id)]
        case (
            events.AccountUpdated()
            | events.AccountSuspended()
            | events.AccountUnsuspended()
            | events.AccountDeleted()
        ):
            return [account_name(event.account_id)]
    return []


WATCHED: list[type[DomainEvent]] = [
    events.StatusCreated,
    events.StatusDeleted,
    events.StatusUpdated,
    events.PollVoted,
    events.PollEnded,
    events.StatusReblogged,
    events.StatusUnreblogged,
    events.FavouriteCreated,
    events.FavouriteRemoved,
    events.FollowCreated,
    events.FollowRemoved,
    events.AccountUpdated,
    events.AccountSuspended,
    events.AccountUnsuspended,
    events.AccountDeleted,
]


async def _forget(rt: Runtime, deliveries: list[Delivery]) -> None:
    names = dict.fromkeys(name for d in deliveries for name in changed_by(d.event))
    await rt.renders.forget(names)


def install(rt: Runtime) -> None:
    rt.handlers.add_batch("renders.forget", WATCHED, lambda d: _forget(rt, d))
