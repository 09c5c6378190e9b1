"""What is trending: posts and hashtags ranked by how many distinct people engaged with them,
each engagement counting less as it ages. Only public posts of discoverable accounts count, an
author's own engagement never does, and each person counts once per post or tag: one account
cannot push itself, nor a post by liking it many times."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.orm import aliased

from pixie.db.types import utcnow
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.reactions import Favourite
from pixie.models.statuses import Status, StatusTag, Tag
from pixie.services import tags as tag_views
from pixie.services.public_timelines import public_rule
from pixie.services.status_views import StatusView, views_by_id
from pixie.services.tags import TagView

WINDOW = timedelta(hours=48)
HALF_LIFE_HOURS = 6.0
MOST_ENGAGEMENTS = 20_000  # the newest this many engagements are weighed
MAX_LIMIT = 40


def _weight(at: datetime, now: datetime) -> float:
    return float(0.5 ** (max((now - at).total_seconds(), 0.0) / 3600 / HALF_LIFE_HOURS))


def _ranked(rows: Sequence[Any], now: datetime, offset: int, limit: int) -> list[int]:
    """Ids by score, best first: ``rows`` are (id, account, time); each account counts once per
    id, at its newest time, halved every HALF_LIFE_HOURS of age."""
    newest: dict[tuple[int, int], datetime] = {}
    for item_id, account_id, at in rows:
        key = (item_id, account_id)
        newest[key] = max(at, newest.get(key, at))
    scores: dict[int, float] = defaultdict(float)
    for (item_id, _), at in newest.items():
        scores[item_id] += _weight(at, now)
    return sorted(scores, key=lambda i: (-scores[i], -i))[offset : offset + limit]


def _bounds(limit: int, offset: int, default: int) -> tuple[int, int]:
    return min(max(limit or default, 1), MAX_LIMIT), max(offset, 0)


async def statuses(
    rt: Runtime, viewer_id: int | None, *, limit: int = 20, offset: int = 0
) -> list[StatusView]:
    """Trending posts, best first, as the viewer may see them (blocks and mutes apply)."""
    limit, offset = _bounds(limit, offset, 20)
    now = utcnow()
    since = now - WINDOW
    reblog = aliased(Status)
    engagements = union_all(
        select(Favourite.status_id.label("status_id"), Favourite.account_id, Favourite.created_at).where(
            Favourite.created_at >= since
        ),
        select(reblog.reblog_of_id, reblog.account_id, reblog.created_at).where(
            reblog.reblog_of_id.is_not(None), reblog.created_at >= since, reblog.deleted_at.is_(None)
        ),
    ).subquery()
    query = (
        select(Status.id, engagements.c.account_id, engagements.c.created_at)
        .join(engagements, engagements.c.status_id == Status.id)
        .join(Account, Account.id == Status.account_id)
        .where(
            public_rule(viewer_id),
            Account.discoverable.is_(True),
            engagements.c.account_id != Status.account_id,
        )
        .order_by(engagements.c.created_at.desc())
        .limit(MOST_ENGAGEMENTS)
    )
    async with rt.db.read() as session:
        ranked = _ranked((await session.execute(query)).all(), now, offset, limit)
        found = await views_by_id(session, ranked, viewer_id)
    return [found[i] for i in ranked if i in found]


async def hashtags(rt: Runtime, viewer_id: int | None, *, limit: int = 10, offset: int = 0) -> list[TagView]:
    """Trending hashtags: distinct accounts that used each in public posts lately, decayed."""
    limit, offset = _bounds(limit, offset, 10)
    now = utcnow()
    query = (
        select(StatusTag.tag_id, Status.account_id, Status.created_at)
        .join(Status, Status.id == StatusTag.status_id)
        .join(Account, Account.id == Status.account_id)
        .where(Status.created_at >= now - WINDOW, public_rule(None), Account.discoverable.is_(True))
        .order_by(Status.created_at.desc())
        .limit(MOST_ENGAGEMENTS)
    )
    async with rt.db.read() as session:
        ranked = _ranked((await session.execute(query)).all(), now, offset, limit)
        if not ranked:
            return []
        found = {t.id: t for t in await session.scalars(select(Tag).where(Tag.id.in_(ranked)))}
        return await tag_views.views(session, [found[i] for i in ranked if i in found], viewer_id, now=now)
