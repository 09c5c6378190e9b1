"""Who receives a live event about a status: the REST timelines' own rules, asked once per event
for every listening viewer at once.

A rule is the SQL condition a timeline reads with (``timelines.home_rule``,
``public_timelines.public_rule``, ``lists.list_rule``); here the viewer is a column instead of a bound id,
so one query answers for a thousand viewers. What a stream carries is then exactly what the
timeline would show the same viewer at that moment: visibility, blocks both ways, mutes and
``show_reblogs``, exclusive lists and reply rules included.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import BigInteger, exists, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from pixie.db.idlist import one_of
from pixie.models.accounts import Account
from pixie.models.lists import List
from pixie.models.statuses import Status
from pixie.services import lists, public_timelines, timelines

_VIEWER = "pixie_viewer"
_viewer_id = literal_column(f"{_VIEWER}.id", BigInteger())

# Given the viewer (an account id, a column of account ids, or None for anonymous), a SQL
# condition on Status.
Rule = Callable[[Any], Any]


def home() -> Rule:
    return timelines.home_rule


def public(*, only_media: bool = False, tag: str | None = None) -> Rule:
    return lambda viewer: public_timelines.public_rule(viewer, only_media=only_media, tag=tag)


def of_list(found: List) -> Rule:
    # A list's timeline is its owner's: the viewer is always the owner.
    return lambda viewer: lists.list_rule(found)


async def accepting(
    session: AsyncSession, status_id: int, rule: Rule, viewer_ids: Collection[int]
) -> set[int]:
    """Those of ``viewer_ids`` whose timeline under ``rule`` holds the status now."""
    if not viewer_ids:
        return set()
    viewer = aliased(Account, name=_VIEWER)
    # The rule sees the viewer as a bare column reference, not as a table: SQLAlchemy correlates a
    # table only into the subquery right below it, and the rules nest subqueries deeper than that.
    holds = exists(select(Status.id).where(Status.id == status_id, rule(_viewer_id)))
    return set(await session.scalars(select(viewer.id).where(one_of(viewer.id, viewer_ids), holds)))


async def anonymous_accepts(session: AsyncSession, status_id: int, rule: Rule) -> bool:
    """Whether a signed-out reader's timeline under ``rule`` holds the status now."""
    found = await session.scalar(select(Status.id).where(Status.id == status_id, rule(None)))
    return found is not None
