"""Statuses written now and published later (Mastodon's scheduled statuses).

A scheduled post is checked when it is scheduled, kept with its parameters, and published by the
periodic scheduler through the same ``statuses.insert`` that publishes a post at once. Publishing
deletes the scheduled row and writes the post in one transaction: whichever process deletes the
row publishes it, so a post is never published twice, and a failure leaves it scheduled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound, PixieError
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.scheduled import ScheduledStatus
from pixie.models.statuses import Status
from pixie.services import statuses
from pixie.services.paging import Paging
from pixie.services.polls import NewPoll
from pixie.services.statuses import NewStatus
from pixie.services.visibility import visible_to

log = logging.getLogger("pixie.scheduled")

MIN_AHEAD = timedelta(minutes=5)
TOTAL_LIMIT = 300  # scheduled posts one account may have waiting, as on Mastodon
DAILY_LIMIT = 25  # scheduled posts one account may have waiting for the same day
PUBLISH_EVERY = timedelta(seconds=10)
PUBLISH_BATCH = 100
MAX_PAGE = 40


def _params(new: NewStatus, visibility: str) -> dict[str, Any]:
    poll = new.poll
    return {
        "text": new.text,
        "spoiler_text": new.spoiler_text or None,
        "sensitive": new.sensitive,
        "visibility": visibility,
        "language": new.language,
        "in_reply_to_id": new.in_reply_to_id,
        "poll": None
        if poll is None
        else {
            "options": poll.options,
            "expires_in": poll.expires_in,
            "multiple": poll.multiple,
            "hide_totals": poll.hide_totals,
        },
    }


def new_status(params: dict[str, Any]) -> NewStatus:
    """The post a scheduled status will publish."""
    poll = params.get("poll")
    return NewStatus(
        text=params.get("text") or "",
        spoiler_text=params.get("spoiler_text") or "",
        sensitive=params.get("sensitive"),
        visibility=params.get("visibility"),
        language=params.get("language"),
        in_reply_to_id=params.get("in_reply_to_id"),
        poll=None
        if not poll
        else NewPoll(
            poll["options"], int(poll["expires_in"]), bool(poll["multiple"]), bool(poll["hide_totals"])
        ),
    )


def _check_time(scheduled_at: datetime, now: datetime) -> None:
    if scheduled_at < now + MIN_AHEAD:
        raise Invalid("Validation failed: Scheduled at The scheduled date must be in the future")


@dataclass(frozen=True)
class _Day:
    start: datetime
    end: datetime


def _day_of(moment: datetime) -> _Day:
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return _Day(start, start + timedelta(days=1))
    except OverflowError:  # the calendar's last day
        return _Day(start, datetime.max.replace(tzinfo=UTC))


async def schedule(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    scheduled_at: datetime,
    *,
    application_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> ScheduledStatus:
    """Keeps a post for later: at least five minutes ahead, within Mastodon's limits (300 waiting,
    25 for one day). The post is checked now as if it were published now; the same request sent
    again with the same ``Idempotency-Key`` answers the same scheduled status."""
    now = now or utcnow()
    if new.media_ids:
        # Uploads wait at most a day for a post; a scheduled post would lose them meanwhile.
        raise Invalid("Scheduled posts cannot carry images yet; post them when the time comes")
    new = statuses.check(rt.settings, new)
    _check_time(scheduled_at, now)
    if idempotency_key is not None and len(idempotency_key) > statuses.MAX_IDEMPOTENCY_KEY:
        raise Invalid("The Idempotency-Key header is too long")
    if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
        return earlier
    try:
        async with rt.write() as session:
            if new.in_reply_to_id is not None:
                reply_to = await session.scalar(
                    select(Status.id).where(Status.id == new.in_reply_to_id, visible_to(account_id))
                )
                if reply_to is None:
                    raise NotFound("The post you reply to was not found")
            waiting = await session.scalar(
                select(func.count())
                .select_from(ScheduledStatus)
                .where(ScheduledStatus.account_id == account_id)
            )
            if (waiting or 0) >= TOTAL_LIMIT:
                raise Invalid("Validation failed: You have exceeded the limit of scheduled posts")
            day = _day_of(scheduled_at)
            that_day = await session.scalar(
                select(func.count())
                .select_from(ScheduledStatus)
                .where(
                    ScheduledStatus.account_id == account_id,
                    ScheduledStatus.scheduled_at >= day.start,
                    ScheduledStatus.scheduled_at < day.end,
                )
            )
            if (that_day or 0) >= DAILY_LIMIT:
                raise Invalid(
                    "Validation failed: You have exceeded the limit of scheduled posts for that day"
                )
            user = await session.scalar(select(User).where(User.account_id == account_id))
            visibility = new.visibility or (user.default_visibility if user else "public")
            row = ScheduledStatus(
                account_id=account_id,
                scheduled_at=scheduled_at,
                params=_params(new, visibility),
                application_id=application_id,
                idempotency_key=idempotency_key or None,
            )
            session.add(row)
            await session.flush()
            return row
    except IntegrityError:
        if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
            return earlier
        raise


async def _by_idempotency_key(rt: Runtime, account_id: int, key: str) -> ScheduledStatus | None:
    async with rt.db.read() as session:
        found: ScheduledStatus | None = await session.scalar(
            select(ScheduledStatus).where(
                ScheduledStatus.account_id == account_id, ScheduledStatus.idempotency_key == key
            )
        )
        return found


async def listing(rt: Runtime, account_id: int, paging: Paging) -> list[ScheduledStatus]:
    """The account's scheduled posts, newest first, paged by id."""
    query = select(ScheduledStatus).where(ScheduledStatus.account_id == account_id)
    async with rt.db.read() as session:
        return paging.newest_first(
            list(await session.scalars(paging.apply(query, ScheduledStatus.id, most=MAX_PAGE)))
        )


async def get(rt: Runtime, account_id: int, scheduled_id: int) -> ScheduledStatus:
    async with rt.db.read() as session:
        row = await session.scalar(
            select(ScheduledStatus).where(
                ScheduledStatus.id == scheduled_id, ScheduledStatus.account_id == account_id
            )
        )
    if row is None:
        raise NotFound()
    return row


async def reschedule(
    rt: Runtime,
    account_id: int,
    scheduled_id: int,
    scheduled_at: datetime | None,
    *,
    now: datetime | None = None,
) -> ScheduledStatus:
    """Moves a scheduled post to another time (at least five minutes ahead); no time: unchanged."""
    if scheduled_at is not None:
        _check_time(scheduled_at, now or utcnow())
    async with rt.write() as session:
        row = await session.scalar(
            select(ScheduledStatus).where(
                ScheduledStatus.id == scheduled_id, ScheduledStatus.account_id == account_id
            )
        )
        if row is None:
            raise NotFound()
        if scheduled_at is not None:
            row.scheduled_at = scheduled_at
            await session.flush()
        return row


async def cancel(rt: Runtime, account_id: int, scheduled_id: int) -> None:
    async with rt.write() as session:
        gone = await session.execute(
            delete(ScheduledStatus).where(
                ScheduledStatus.id == scheduled_id, ScheduledStatus.account_id == account_id
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound()


async def publish(rt: Runtime, scheduled_id: int) -> int | None:
    """Publishes one scheduled post; returns the new status's id, or None when another process
    published it first (or its account is gone). The scheduled row is deleted in the transaction
    that writes the post, so it is published exactly once."""
    try:
        async with rt.write() as session:
            row = (
                await session.execute(
                    delete(ScheduledStatus)
                    .where(ScheduledStatus.id == scheduled_id)
                    .returning(ScheduledStatus)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            account = await session.get(Account, row.account_id)
            if account is None or account.suspended_at is not None:
                return None  # a suspended account publishes nothing
            new = new_status(row.params)
            if new.in_reply_to_id is not None:
                still = await session.scalar(
                    select(Status.id).where(Status.id == new.in_reply_to_id, visible_to(row.account_id))
                )
                if still is None:  # the post it answers is gone: it is published on its own
                    new = replace(new, in_reply_to_id=None)
            written = await statuses.insert(
                session, rt.settings, row.account_id, statuses.check(rt.settings, new), row.application_id
            )
            return written.status.id
    except PixieError as exc:
        # It can no longer be published as written (a limit was lowered since): drop it, or it
        # would be tried again forever.
        log.warning(
            "a scheduled post could not be published", extra={"id": scheduled_id, "error": exc.message}
        )
        async with rt.write() as session:
            await session.execute(delete(ScheduledStatus).where(ScheduledStatus.id == scheduled_id))
        return None


async def publish_due(rt: Runtime, now: datetime | None = None) -> list[int]:
    """Publishes every scheduled post whose time has come; returns the new statuses' ids."""
    now = now or utcnow()
    async with rt.db.read() as session:
        due = list(
            await session.scalars(
                select(ScheduledStatus.id)
                .where(ScheduledStatus.scheduled_at <= now)
                .order_by(ScheduledStatus.scheduled_at, ScheduledStatus.id)
                .limit(PUBLISH_BATCH)
            )
        )
    published = []
    for scheduled_id in due:
        try:
            status_id = await publish(rt, scheduled_id)
        except IntegrityError:
            continue  # a hashtag made at the same moment: the next round publishes it
        if status_id is not None:
            published.append(status_id)
    return published


def install(rt: Runtime) -> None:
    async def run() -> None:
        await publish_due(rt)

    rt.scheduler.add("statuses.publish_scheduled", PUBLISH_EVERY, run)
