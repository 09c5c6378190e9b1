"""Polls: checking a new one, voting, what a viewer sees of the results, and ending them on time.

Results are counted from the votes when a poll is read (one grouped query for a whole page), so
there are no counters to drift. A poll with ``hide_totals`` shows its per-choice counts only to its
author until it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import Settings
from pixie.db.idlist import one_of
from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.polls import Poll, PollVote
from pixie.models.statuses import Status
from pixie.services import events, notifying
from pixie.services.visibility import visible_to

log = logging.getLogger("pixie.polls")

END_EVERY = timedelta(seconds=10)


@dataclass(frozen=True)
class NewPoll:
    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


def check(settings: Settings, poll: NewPoll) -> NewPoll:
    """The poll as it will be kept (choices trimmed), or Invalid with Mastodon's words."""
    options = [o.strip() for o in poll.options if o.strip()]
    if len(options) < 2:
        raise Invalid("Validation failed: Poll must have at least 2 options")
    if len(options) > settings.poll_max_options:
        raise Invalid(f"Validation failed: Poll cannot have more than {settings.poll_max_options} options")
    if any(len(o) > settings.poll_max_characters_per_option for o in options):
        raise Invalid(
            "Validation failed: Poll options cannot be longer than "
            f"{settings.poll_max_characters_per_option} characters"
        )
    if len({o for o in options}) != len(options):
        raise Invalid("Validation failed: Poll contains duplicate options")
    if poll.expires_in < settings.poll_min_expiration:
        raise Invalid("Validation failed: Poll duration is too short")
    if poll.expires_in > settings.poll_max_expiration:
        raise Invalid("Validation failed: Poll duration is too long")
    return NewPoll(options, poll.expires_in, poll.multiple, poll.hide_totals)


def attach(session: AsyncSession, status: Status, poll: NewPoll, now: datetime) -> None:
    """Adds a checked poll to a status being written in ``session``."""
    session.add(
        Poll(
            status_id=status.id,
            account_id=status.account_id,
            options=poll.options,
            multiple=poll.multiple,
            hide_totals=poll.hide_totals,
            expires_at=now + timedelta(seconds=poll.expires_in),
        )
    )


@dataclass(frozen=True)
class PollView:
    poll: Poll
    tallies: list[int]  # votes per choice
    voters_count: int
    own_votes: list[int] | None  # None: an anonymous viewer
    voted: bool
    expired: bool
    show_totals: bool

    @property
    def votes_count(self) -> int:
        return sum(self.tallies)


async def load(
    session: AsyncSession, status_ids: list[int], viewer_id: int | None, *, now: datetime | None = None
) -> dict[int, PollView]:
    """The polls of these statuses as the viewer sees them, by status id, in four queries at most."""
    if not status_ids:
        return {}
    polls = list(await session.scalars(select(Poll).where(one_of(Poll.status_id, status_ids))))
    if not polls:
        return {}
    return await _views(session, polls, viewer_id, now or utcnow())


async def _views(
    session: AsyncSession, polls: list[Poll], viewer_id: int | None, now: datetime
) -> dict[int, PollView]:
    ids = [p.id for p in polls]
    tallies: dict[int, dict[int, int]] = {}
    for poll_id, choice, count in await session.execute(
        select(PollVote.poll_id, PollVote.choice, func.count())
        .where(one_of(PollVote.poll_id, ids))
        .group_by(PollVote.poll_id, PollVote.choice)
    ):
        tallies.setdefault(poll_id, {})[choice] = count
    voters = dict(
        (
            await session.execute(
                select(PollVote.poll_id, func.count(distinct(PollVote.account_id)))
                .where(one_of(PollVote.poll_id, ids))
                .group_by(PollVote.poll_id)
            )
        ).all()
    )
    own: dict[int, list[int]] = {}
    if viewer_id is not None:
        for poll_id, choice in await session.execute(
            select(PollVote.poll_id, PollVote.choice)
            .where(one_of(PollVote.poll_id, ids), PollVote.account_id == viewer_id)
            .order_by(PollVote.choice)
        ):
            own.setdefault(poll_id, []).append(choice)
    views = {}
    for p in polls:
        expired = p.ended_at is not None or p.expires_at <= now
        mine = viewer_id is not None and viewer_id == p.account_id
        views[p.status_id] = PollView(
            poll=p,
            tallies=[tallies.get(p.id, {}).get(i, 0) for i in range(len(p.options))],
            voters_count=int(voters.get(p.id, 0)),
            own_votes=own.get(p.id, []) if viewer_id is not None else None,
            # As on Mastodon, the author counts as having voted (there is nothing left to choose).
            voted=viewer_id is not None and (mine or p.id in own),
            expired=expired,
            show_totals=expired or not p.hide_totals or mine,
        )
    return views


async def votes_of(
    session: AsyncSession, status_ids: Collection[int], viewer_ids: Collection[int]
) -> dict[int, list[tuple[int, int]]]:
    """The viewers' votes on these statuses' polls, as (poll, choice) pairs by viewer, in one query."""
    found: dict[int, list[tuple[int, int]]] = {}
    if not viewer_ids:
        return found
    for viewer, poll_id, choice in await session.execute(
        select(PollVote.account_id, PollVote.poll_id, PollVote.choice)
        .join(Poll, Poll.id == PollVote.poll_id)
        .where(one_of(Poll.status_id, status_ids), one_of(PollVote.account_id, viewer_ids))
    ):
        found.setdefault(viewer, []).append((poll_id, choice))
    return found


async def get(rt: Runtime, poll_id: int, viewer_id: int | None) -> PollView:
    """A poll whose status the viewer may see; 404 otherwise."""
    async with rt.db.read() as session:
        poll = await session.scalar(
            select(Poll)
            .join(Status, Status.id == Poll.status_id)
            .where(Poll.id == poll_id, visible_to(viewer_id))
        )
        if poll is None:
            raise NotFound()
        return (await _views(session, [poll], viewer_id, utcnow()))[poll.status_id]


async def vote(rt: Runtime, account_id: int, poll_id: int, choices: list[int]) -> PollView:
    """Casts the account's votes, all or none (Mastodon's rules: no voting on one's own poll, one
    choice unless the poll allows several, each choice once, only while the poll is open)."""
    try:
        async with rt.write() as session:
            # The poll row is locked while the votes are checked and written (on PostgreSQL; SQLite
            # writes one at a time anyway), so two requests at once cannot both vote.
            poll = await session.scalar(
                select(Poll)
                .join(Status, Status.id == Poll.status_id)
                .where(Poll.id == poll_id, visible_to(account_id))
                .with_for_update(of=Poll)
            )
            if poll is None:
                raise NotFound()
            if poll.expires_at <= utcnow():
                raise Invalid("Validation failed: The poll has already ended")
            if poll.account_id == account_id:
                raise Invalid("Validation failed: You cannot vote in your own poll")
            if not choices or any(c < 0 or c >= len(poll.options) for c in choices):
                raise Invalid("Validation failed: The chosen vote option does not exist")
            earlier = set(
                await session.scalars(
                    select(PollVote.choice).where(
                        PollVote.poll_id == poll.id, PollVote.account_id == account_id
                    )
                )
            )
            repeated = len(set(choices)) != len(choices) or bool(earlier & set(choices))
            if repeated or (not poll.multiple and (earlier or len(choices) > 1)):
                raise Invalid("Validation failed: You have already voted on this poll")
            for choice in choices:
                session.add(PollVote(poll_id=poll.id, account_id=account_id, choice=choice))
            await session.flush()
            record(
                session,
                events.PollVoted(
                    poll_id=poll.id, status_id=poll.status_id, account_id=account_id, choices=sorted(choices)
                ),
            )
    except IntegrityError:
        raise Invalid("Validation failed: You have already voted on this poll") from None
    return await get(rt, poll_id, account_id)


async def end_expired(rt: Runtime, now: datetime | None = None) -> list[int]:
    """Marks the polls whose time is up as ended, recording ``poll.ended`` once for each (for the
    author's and voters' notifications). Returns their ids. Safe to run from several processes."""
    now = now or utcnow()
    async with rt.write() as session:
        ended = (
            await session.execute(
                update(Poll)
                .where(Poll.ended_at.is_(None), Poll.expires_at <= now)
                .values(ended_at=now)
                .returning(Poll.id, Poll.status_id, Poll.account_id)
            )
        ).all()
        if not ended:
            return []
        live = set(
            await session.scalars(
                select(Status.id).where(
                    Status.id.in_([row.status_id for row in ended]), Status.deleted_at.is_(None)
                )
            )
        )
        for row in ended:
            if row.status_id in live:  # a deleted post's poll ends silently
                voters = set(
                    await session.scalars(
                        select(PollVote.account_id).where(PollVote.poll_id == row.id).distinct()
                    )
                )
                # Everyone who voted hears of the result, and so does the author.
                for recipient_id in sorted(voters | {row.account_id}):
                    await notifying.notify(
                        session,
                        "poll",
                        recipient_id=recipient_id,
                        from_account_id=row.account_id,
                        status_id=row.status_id,
                    )
                record(
                    session,
                    events.PollEnded(poll_id=row.id, status_id=row.status_id, account_id=row.account_id),
                )
    return [row.id for row in ended]


def install(rt: Runtime) -> None:
    async def end() -> None:
        ended = await end_expired(rt)
        if ended:
            log.info("polls ended", extra={"count": len(ended)})

    rt.scheduler.add("polls.end_expired", END_EVERY, end)
